import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { newId } from '../../shared/ids.js';
import { makeWav } from './audio-info.js';

describe('POST /v1/calls/{callId}/recording (uploads)', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  let pbxKey: string;

  before(async () => {
    gw = await startTestGateway(t.db);
    const made = (await (await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'FreePBX', role: 'pbx' } })).json()) as { token: string };
    pbxKey = made.token;
  });
  after(() => gw.stop());

  async function newCall(): Promise<string> {
    const id = newId();
    await t.db.knex('calls').insert({
      id,
      account_id: gw.accountId,
      provider: 'asterisk',
      provider_call_id: `1770${Math.floor(Math.random() * 1e9)}.1`,
      tracking_e164: '+74951234561',
      caller: '+79161234567',
      status: 'ended',
      outcome: 'completed',
      started_at: new Date(),
    });
    return id;
  }

  /** `key` undefined: the owner's. */
  const upload = (callId: string, body: Buffer, key?: string, type = 'audio/wav') =>
    gw.api(`/v1/calls/${callId}/recording`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'content-type': type },
      ...(key ? { key } : {}),
    });

  it('a PBX key uploads a WAV: stored, verified, playable; the same key can read nothing else', async () => {
    const callId = await newCall();
    const wav = makeWav({ seconds: 3, channels: 2 });
    const res = await upload(callId, wav, pbxKey);
    expect(res.status).to.equal(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).to.include({ status: 'stored', contentType: 'audio/wav', bytes: wav.length, channels: 2, durationSeconds: 3 });
    expect(body['sha256']).to.equal(createHash('sha256').update(wav).digest('hex'));

    const played = await gw.api(`/v1/calls/${callId}/recording`);
    expect(played.status).to.equal(200);
    expect(Buffer.from(await played.arrayBuffer()).equals(wav)).to.equal(true);
    expect((await gw.api('/v1/calls', { key: pbxKey })).status).to.equal(403);
    expect((await gw.api(`/v1/calls/${callId}/recording`, { key: pbxKey })).status).to.equal(403);
    const audit = await t.db.knex('audit_log').where({ action: 'recording.upload', target_id: callId });
    expect(audit).to.have.length(1);
  });

  it('sniffs the type from the bytes: text labelled audio/wav is a 415, an MP3 labelled octet-stream is taken', async () => {
    const callId = await newCall();
    const fake = await upload(callId, Buffer.from('not audio at all, just text '.repeat(20)));
    expect(fake.status).to.equal(415);
    expect(await fake.json()).to.include.keys('id', 'name', 'message', 'details');
    expect((await upload(callId, makeWav({ seconds: 1, channels: 1 }), undefined, 'text/plain')).status).to.equal(415);
    // One MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz, stereo) repeated: what the sniffer reads as MP3.
    const frame = Buffer.alloc(417);
    frame.set([0xff, 0xfb, 0x90, 0x00]);
    const mp3 = Buffer.concat(Array.from({ length: 60 }, () => frame));
    const ok = await upload(callId, mp3, undefined, 'application/octet-stream');
    expect(ok.status).to.equal(201);
    expect(await ok.json()).to.include({ contentType: 'audio/mpeg' });
    expect(await t.db.knex('recordings').where({ call_id: callId, status: 'stored' })).to.have.length(1);
  });

  it('refuses empty bodies, unknown calls, other roles and bodies declared over the limit', async () => {
    const callId = await newCall();
    expect((await upload(callId, Buffer.alloc(0))).status).to.equal(400);
    expect((await upload(newId(), makeWav({ seconds: 1, channels: 1 }))).status).to.equal(404);
    const analyst = (await (await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'a', role: 'analyst' } })).json()) as { token: string };
    expect((await upload(callId, makeWav({ seconds: 1, channels: 1 }), analyst.token)).status).to.equal(403);
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${gw.baseUrl}/v1/calls/${callId}/recording`);
      const req = request(
        url,
        { method: 'POST', headers: { authorization: `Bearer ${gw.ownerKey}`, 'content-type': 'audio/wav', 'content-length': String(2 ** 30) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.write(Buffer.alloc(1024));
    });
    expect(status).to.equal(413);
    expect(await t.db.knex('recordings').where({ call_id: callId })).to.have.length(0);
  });
});
