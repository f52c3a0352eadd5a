import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { useTestDatabase } from '../../test/helpers/db.js';
import { startTestGateway } from '../../test/helpers/gateway.js';
import { LocalRecordingStorage } from '../adapters/storage/local-recording-storage.js';
import { demoConversationWav } from './demo-wav.js';
import { seedDemoActivity } from './demo-activity.js';
import { seedDemo } from './demo-seed.js';

describe('demo history', () => {
  const t = useTestDatabase();

  it('fills the demo site once: calls of several channels, leads, spend, a stored WAV and CRM deliveries; nothing elsewhere', async () => {
    const storage = new LocalRecordingStorage(await mkdtemp(path.join(tmpdir(), 'demo-rec-')));
    const gw = await startTestGateway(t.db, { container: { recordingStorage: storage } });
    const other = await (await gw.api('/v1/sites', { method: 'POST', json: { name: 'Real shop' } })).json();
    const demo = await seedDemo(t.db.knex);
    const r = await seedDemoActivity({ db: t.db.knex, storage, crmSinks: gw.container.services.crmSinks });
    expect(r.calls).to.be.greaterThan(20);
    const channels = (await t.db
      .knex('calls as c')
      .join('channels as ch', 'ch.id', 'c.channel_id')
      .where('c.site_id', demo.siteId)
      .distinct('ch.name')) as {
      name: string;
    }[];
    expect(channels.map((c) => c.name)).to.include.members(['Google Ads', 'Yandex Direct', 'Facebook Ads', 'Organic search', 'Newsletter']);
    const unledCalls = await t.db.knex('calls').where({ site_id: demo.siteId }).whereNull('lead_id').count('* as n').first();
    expect(Number((unledCalls as { n: string }).n)).to.equal(0);
    expect(
      Number(((await t.db.knex('leads').where({ site_id: demo.siteId, status: 'won' }).count('* as n').first()) as { n: string }).n),
    ).to.be.greaterThan(0);
    expect(Number(((await t.db.knex('ad_spend').where({ site_id: demo.siteId }).count('* as n').first()) as { n: string }).n)).to.equal(14 * 4);
    const outbox = (await t.db.knex('outbox').select('status')) as { status: string }[];
    expect(outbox.map((o) => o.status)).to.include.members(['delivered', 'dead']);

    // The recording streams through the API like any other: a WAV whose header says 24 s of 8 kHz mono.
    const rec = await gw.api(`/v1/calls/${r.recordingCallId}/recording`, { headers: { range: 'bytes=0-43' } });
    expect(rec.status).to.equal(206);
    const head = Buffer.from(await rec.arrayBuffer());
    expect(head.subarray(0, 4).toString('ascii')).to.equal('RIFF');
    expect(head.readUInt32LE(24)).to.equal(8000);
    expect(head.readUInt32LE(40)).to.equal(24 * 8000 * 2);

    expect(await seedDemoActivity({ db: t.db.knex, storage, crmSinks: gw.container.services.crmSinks })).to.deep.equal({
      calls: 0,
      recordingCallId: null,
    });
    expect(await t.db.knex('calls').where({ site_id: other.id }).first()).to.equal(undefined);
    await gw.stop();
  });

  it('generates a canonical PCM WAV', () => {
    const wav = demoConversationWav(2);
    expect(wav.length).to.equal(44 + 2 * 8000 * 2);
    expect(wav.subarray(8, 16).toString('ascii')).to.equal('WAVEfmt ');
    expect(wav.readUInt16LE(20)).to.equal(1);
    expect(wav.readUInt32LE(4)).to.equal(wav.length - 8);
  });
});
