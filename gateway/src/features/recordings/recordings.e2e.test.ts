import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestConfig } from '../../../test/helpers/config.js';
import { loadConfig } from '../../config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { LocalRecordingStorage } from '../../adapters/storage/local-recording-storage.js';
import type { ByteRange, RecordingStorage, StoredObject } from '../../adapters/storage/recording-storage.js';
import { ManualClock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import { displayPrefix, hashToken, newSecretToken } from '../auth/tokens.js';
import { makeWav } from './audio-info.js';

const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-auth-token';

/**
 * A stand-in for Twilio's recordings media endpoint: `GET /2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.wav`
 * with HTTP Basic auth, answering 404 while "finalising" (as Twilio does right after the callback), optional 500s,
 * and `DELETE .../{Sid}.json` → 204.
 */
class TwilioMediaStandIn {
  server: Server;
  origin = '';
  audio = new Map<string, Buffer>();
  notReadyFor = new Map<string, number>();
  failWith500 = 0;
  /** Recordings whose download sends headers and half the audio, then stalls with the connection open. */
  stall = new Set<string>();
  stalled: ServerResponse[] = [];
  requests: { method: string; path: string; auth: boolean }[] = [];
  deleted: string[] = [];

  constructor() {
    this.server = createServer((req, res) => {
      const auth = req.headers.authorization === `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', auth });
      const m = /^\/2010-04-01\/Accounts\/(AC\w{32})\/Recordings\/(RE\w{32})\.(wav|mp3|json)$/.exec(req.url ?? '');
      if (!auth) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":20003,"message":"Authenticate"}');
      if (!m || m[1] !== ACCOUNT_SID) return res.writeHead(404).end();
      const sid = m[2]!;
      if (req.method === 'DELETE' && m[3] === 'json') {
        this.deleted.push(sid);
        return res.writeHead(204).end();
      }
      const pending = this.notReadyFor.get(sid) ?? 0;
      if (pending > 0) {
        this.notReadyFor.set(sid, pending - 1);
        return res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":20404,"message":"not found"}');
      }
      if (this.failWith500 > 0) {
        this.failWith500--;
        return res.writeHead(500).end();
      }
      const body = this.audio.get(sid);
      if (!body || m[3] !== 'wav') return res.writeHead(404).end();
      if (this.stall.has(sid)) {
        res.writeHead(200, { 'content-type': 'audio/x-wav', 'content-length': body.length }).write(body.subarray(0, body.length >> 1));
        this.stalled.push(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/x-wav', 'content-length': body.length }).end(body);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

/** Local storage that fails its first `failures` writes, as a flaky disk or bucket would. */
class FlakyStorage implements RecordingStorage {
  readonly kind = 'local' as const;
  constructor(
    private readonly inner: RecordingStorage,
    public failures: number,
  ) {}
  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    if (this.failures > 0) {
      this.failures--;
      if (!Buffer.isBuffer(body)) body.resume();
      throw new Error('storage unavailable');
    }
    return this.inner.put(key, body, contentType);
  }
  head(key: string) {
    return this.inner.head(key);
  }
  read(key: string, range?: ByteRange) {
    return this.inner.read(key, range);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

describe('recordings', () => {
  const t = useTestDatabase();
  const twilio = new TwilioMediaStandIn();
  const clock = new ManualClock(Date.now());
  let gw: TestGateway;
  let storage: FlakyStorage;
  let siteId: string;

  before(async () => {
    await twilio.start();
    // The stand-in is reached the way an operator points the gateway at a Twilio-compatible API.
    const env = loadConfig({ TWILIO_API_BASE_URL: twilio.origin, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'rec-cfg-')) });
    const base = createTestConfig();
    const config = createTestConfig({
      twilioApi: env.twilioApi,
      recordings: { ...base.recordings, twilioMediaOrigins: env.recordings.twilioMediaOrigins },
    });
    storage = new FlakyStorage(new LocalRecordingStorage(`${config.dataDir}/recordings`), 0);
    gw = await startTestGateway(t.db, {
      config,
      container: {
        clock,
        recordingStorage: storage,
        twilioCredentials: { forAccount: async () => ({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }) },
      },
    });
    siteId = newId();
    await t.db.knex('sites').insert({
      id: siteId,
      account_id: gw.accountId,
      name: 's',
      public_key: `k${siteId.slice(-10)}`,
      settings: JSON.stringify({ deleteProviderRecordings: true, recordingRetentionDays: 30 }),
    });
  });
  after(async () => {
    await gw.stop();
    twilio.server.closeAllConnections();
    await new Promise((r) => twilio.server.close(r));
  });

  async function newCallWithRecording(
    seconds: number,
    opts: { startedAt?: Date; sourceOrigin?: string } = {},
  ): Promise<{ callId: string; sid: string; audio: Buffer }> {
    const callId = newId();
    const sid = `RE${createHash('md5').update(callId).digest('hex')}`;
    const audio = makeWav({ seconds, channels: 2 });
    twilio.audio.set(sid, audio);
    await t.db.knex('calls').insert({
      id: callId,
      account_id: gw.accountId,
      site_id: siteId,
      provider: 'twilio',
      provider_call_id: `CA${createHash('md5').update(sid).digest('hex')}`,
      tracking_e164: '+14155550101',
      caller: '+14155550123',
      status: 'ended',
      outcome: 'completed',
      started_at: opts.startedAt ?? clock.now(),
    });
    await t.db.knex('recordings').insert({
      id: newId(),
      account_id: gw.accountId,
      call_id: callId,
      provider: 'twilio',
      provider_ref: sid,
      source_url: `${opts.sourceOrigin ?? twilio.origin}/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${sid}`,
      expected_duration_s: seconds,
      channels: 2,
      status: 'pending',
      next_attempt_at: clock.now(),
    });
    return { callId, sid, audio };
  }

  /** Runs the intake, moving the clock past each retry delay, until the call's recording settles. */
  async function settle(callId: string, maxRounds = 20): Promise<Record<string, unknown>> {
    for (let i = 0; i < maxRounds; i++) {
      await gw.container.services.recordingIntake.runOnce();
      const row = await t.db.knex('recordings').where({ call_id: callId }).first();
      if (row.status === 'stored' || row.status === 'failed') return row;
      clock.advance(60 * 60_000);
    }
    throw new Error('the recording did not settle');
  }

  it('fetches with Basic auth through the 404-then-200 finalisation, verifies and stores it, then deletes it at Twilio', async () => {
    const { callId, sid, audio } = await newCallWithRecording(3);
    twilio.notReadyFor.set(sid, 2);
    const row = await settle(callId);
    expect(row).to.include({
      status: 'stored',
      bytes: audio.length,
      sha256: createHash('sha256').update(audio).digest('hex'),
      channels: 2,
      content_type: 'audio/wav',
    });
    expect(Number(row.duration_s)).to.equal(3);
    expect(row.attempts).to.equal(3);
    expect(row.storage_key).not.to.match(/4155550/);
    expect(twilio.requests.filter((r) => r.path.includes(sid)).every((r) => r.auth)).to.equal(true);
    expect(twilio.deleted).to.include(sid);
  });

  it('TWILIO_API_BASE_URL: a RecordingUrl on api.twilio.com is fetched from the configured API, a foreign origin gets no credentials', async () => {
    const { callId, sid, audio } = await newCallWithRecording(2, { sourceOrigin: 'https://api.twilio.com' });
    const row = await settle(callId);
    expect(row).to.include({ status: 'stored', bytes: audio.length });
    expect(twilio.requests.some((r) => r.path.endsWith(`${sid}.wav`) && r.auth)).to.equal(true);

    const before = twilio.requests.length;
    const foreign = await newCallWithRecording(1, { sourceOrigin: 'https://recordings.example.net' });
    const refused = await settle(foreign.callId);
    expect(refused.status).to.equal('failed');
    expect(String(refused.last_error)).to.match(/Refusing to send credentials to https:\/\/recordings\.example\.net/);
    expect(twilio.requests.length).to.equal(before);
  });

  it('loses nothing when Twilio and our storage fail transiently', async () => {
    const { callId } = await newCallWithRecording(2);
    twilio.failWith500 = 2;
    storage.failures = 2;
    const row = await settle(callId);
    expect(row.status).to.equal('stored');
    expect(row.attempts).to.equal(5);
  });

  it('a stop ends a stalled download at once and hands the recording back untried', async () => {
    const { callId, sid } = await newCallWithRecording(2);
    twilio.stall.add(sid);
    const stop = new AbortController();
    const run = gw.container.services.recordingIntake.runOnce(5, stop.signal);
    for (let i = 0; i < 200 && twilio.stalled.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(twilio.stalled, 'the download started and stalled').to.have.length(1);
    stop.abort();
    // Without the stop signal the download would wait out its 60 s timeout.
    const outcome = await Promise.race([run.then(() => 'returned'), new Promise((r) => setTimeout(r, 5_000, 'still waiting'))]);
    expect(outcome).to.equal('returned');
    const row = await t.db.knex('recordings').where({ call_id: callId }).first();
    expect(row).to.include({ status: 'pending', attempts: 0, locked_until: null, storage_key: null });
    expect(new Date(row.next_attempt_at).getTime()).to.be.at.most(clock.nowMs());
    twilio.stall.delete(sid);
    const stored = await settle(callId);
    expect(stored).to.include({ status: 'stored', attempts: 1 });
  });

  it('resumes a job whose worker died between download and store', async () => {
    const { callId } = await newCallWithRecording(1);
    // A worker claims the row and dies before storing anything.
    const claimed = await gw.container.services.recordingIntake['deps'].recordings.claimDue(t.db.knex, clock.now(), 60_000, 50);
    expect(claimed.map((r) => r.callId)).to.include(callId);
    expect(await gw.container.services.recordingIntake.runOnce()).to.equal(0);
    clock.advance(61_000);
    const row = await settle(callId);
    expect(row.status).to.equal('stored');
  });

  it('streams with Content-Type, Content-Length, ETag and byte-exact ranges, and audits listens', async () => {
    const { callId, audio } = await newCallWithRecording(2);
    await settle(callId);
    const whole = await gw.api(`/v1/calls/${callId}/recording`);
    expect(whole.status).to.equal(200);
    expect(whole.headers.get('content-type')).to.equal('audio/wav');
    expect(whole.headers.get('accept-ranges')).to.equal('bytes');
    expect(Number(whole.headers.get('content-length'))).to.equal(audio.length);
    const etag = whole.headers.get('etag');
    expect(Buffer.from(await whole.arrayBuffer()).equals(audio)).to.equal(true);

    for (const [header, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=44-1043', 44, 1043],
      [`bytes=${audio.length - 100}-`, audio.length - 100, audio.length - 1],
      ['bytes=-10', audio.length - 10, audio.length - 1],
    ] as const) {
      const res = await gw.api(`/v1/calls/${callId}/recording`, { headers: { range: header } });
      expect(res.status, header).to.equal(206);
      expect(res.headers.get('content-range')).to.equal(`bytes ${start}-${end}/${audio.length}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(audio.subarray(start, end + 1)), header).to.equal(true);
    }
    expect((await gw.api(`/v1/calls/${callId}/recording`, { headers: { range: `bytes=${audio.length}-` } })).status).to.equal(416);
    expect((await gw.api(`/v1/calls/${callId}/recording`, { headers: { 'if-none-match': etag! } })).status).to.equal(304);

    const audits = await t.db.knex('audit_log').where({ target_id: callId, action: 'recording.listen' });
    // The plain GET and the range from byte 0 start a listen; seeks do not.
    expect(audits).to.have.length(2);
    await gw.api(`/v1/calls/${callId}/recording?download=true`);
    expect(await t.db.knex('audit_log').where({ target_id: callId, action: 'recording.download' })).to.have.length(1);
  });

  it('lets only owners, admins and managers of the call account listen', async () => {
    const { callId } = await newCallWithRecording(1);
    await settle(callId);
    const analyst = (await (await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'a', role: 'analyst' } })).json()) as { token: string };
    expect((await gw.api(`/v1/calls/${callId}/recording`, { key: analyst.token })).status).to.equal(403);
    const manager = (await (await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'm', role: 'manager' } })).json()) as { token: string };
    expect((await gw.api(`/v1/calls/${callId}/recording`, { key: manager.token })).status).to.equal(200);

    const otherAccount = newId();
    await t.db.knex('accounts').insert({ id: otherAccount, name: 'Other' });
    const otherKey = newSecretToken('ctk_');
    await t.db.knex('api_keys').insert({
      id: newId(),
      account_id: otherAccount,
      name: 'k',
      role: 'owner',
      display_prefix: displayPrefix(otherKey),
      key_hash: hashToken(otherKey),
    });
    expect((await gw.api(`/v1/calls/${callId}/recording`, { key: otherKey })).status).to.equal(404);
    expect((await gw.api(`/v1/calls/${callId}/recording/links`, { key: otherKey, method: 'POST', json: {} })).status).to.equal(404);
  });

  it('plays through a signed link until it expires or the key is rotated', async () => {
    const { callId, audio } = await newCallWithRecording(1);
    await settle(callId);
    const link = (await (await gw.api(`/v1/calls/${callId}/recording/links`, { method: 'POST', json: { ttlSeconds: 600 } })).json()) as {
      url: string;
    };
    const path = new URL(link.url).pathname + new URL(link.url).search;
    const ok = await gw.api(path, { key: null });
    expect(ok.status).to.equal(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(audio)).to.equal(true);
    expect((await gw.api(path.replace(/sig=[^&]+/, 'sig=AAAA'), { key: null })).status).to.equal(403);

    clock.advance(601_000);
    expect((await gw.api(path, { key: null })).status).to.equal(403);

    const fresh = (await (await gw.api(`/v1/calls/${callId}/recording/links`, { method: 'POST', json: {} })).json()) as { url: string };
    const freshPath = new URL(fresh.url).pathname + new URL(fresh.url).search;
    expect((await gw.api(freshPath, { key: null })).status).to.equal(200);
    expect((await gw.api('/v1/recordings/link-key/rotate', { method: 'POST' })).status).to.equal(200);
    expect((await gw.api(freshPath, { key: null })).status).to.equal(403);
  });

  it("deletes audio past the site's retention and keeps the call", async () => {
    const { callId } = await newCallWithRecording(1, { startedAt: new Date(clock.nowMs() - 40 * 86_400_000) });
    await settle(callId);
    await gw.container.scheduler.runNow('recordings.retention');
    const row = await t.db.knex('recordings').where({ call_id: callId }).first();
    expect(row.status).to.equal('deleted');
    expect(row.storage_key).to.equal(null);
    expect(await t.db.knex('calls').where({ id: callId }).first()).to.be.an('object');
    expect((await gw.api(`/v1/calls/${callId}/recording`)).status).to.equal(404);
  });
});
