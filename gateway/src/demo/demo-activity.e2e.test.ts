import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { useTestDatabase } from '../../test/helpers/db.js';
import { createTestConfig } from '../../test/helpers/config.js';
import { startTestGateway } from '../../test/helpers/gateway.js';
import { LocalRecordingStorage } from '../adapters/storage/local-recording-storage.js';
import { demoConversationWav } from './demo-wav.js';
import { seedDemoActivity } from './demo-activity.js';
import { seedDemo } from './demo-seed.js';

describe('demo history', () => {
  const t = useTestDatabase();

  it('fills the demo site once: calls of several channels, forms, callbacks and emails, leads, spend, stored WAVs and demo CRM deliveries; nothing elsewhere', async () => {
    const storage = new LocalRecordingStorage(await mkdtemp(path.join(tmpdir(), 'demo-rec-')));
    const gw = await startTestGateway(t.db, { container: { recordingStorage: storage } });
    const other = await (await gw.api('/v1/sites', { method: 'POST', json: { name: 'Real shop' } })).json();
    const demo = await seedDemo(t.db.knex);
    const r = await seedDemoActivity({
      db: t.db.knex,
      storage,
      crmSinks: gw.container.services.crmSinks,
      inquiries: gw.container.services.inquiries,
    });
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
    const outbox = (await t.db.knex('outbox').select('status', 'payload')) as { status: string; payload: { demo?: boolean; inquiryId?: string } }[];
    expect(outbox.map((o) => o.status)).to.include.members(['delivered', 'dead']);
    // Nothing was sent: every demo delivery says it is a sample, and the worker has nothing of them to deliver.
    expect(outbox.every((o) => o.payload.demo === true)).to.equal(true);
    expect(outbox.filter((o) => o.payload.inquiryId)).to.have.length.greaterThan(0);

    // Every kind of inquiry, each on a visit of a demo channel and in a lead, through the API the console reads.
    expect(r.inquiries).to.be.greaterThan(8);
    const list = (await (await gw.api('/v1/inquiries?limit=200')).json()) as {
      items: { kind: string; id: string; channel: { name: string } | null; leadId: string | null }[];
    };
    const kinds = new Set(list.items.map((i) => i.kind));
    expect([...kinds]).to.include.members(['call', 'form', 'callback', 'email']);
    const others = list.items.filter((i) => i.kind !== 'call');
    expect(others).to.have.length(r.inquiries);
    expect(others.every((i) => i.channel?.name && i.leadId)).to.equal(true);
    const one = async (kind: string, pick: (i: Record<string, unknown>) => boolean) => {
      for (const i of others.filter((x) => x.kind === kind)) {
        const full = (await (await gw.api(`/v1/inquiries/${i.id}`)).json()) as Record<string, unknown>;
        if (pick(full)) return full;
      }
      throw new Error(`no ${kind} inquiry as expected`);
    };
    await one('form', (i) => (i.lead as { repeat: boolean } | null)?.repeat === true); // joined an earlier call's lead
    const masked = await one('form', (i) => 'payment' in (i.fields as object));
    expect(masked.fields).to.include({ payment: '•••••• 4242', account_password: '••••••' });
    const mail = await one('email', (i) => i.name === 'Olivia Chen');
    expect(mail).to.include({ email: 'olivia.chen@example.com', subject: 'Quote for a bathroom remodel', forwardedAt: null });
    const callback = await one('callback', (i) => i.callbackOutcome === 'visitor_answered' && i.callId !== null);
    expect(callback.status).to.equal('placed');
    const cbCall = (await (await gw.api(`/v1/calls/${callback.callId}`)).json()) as { call: { outcome: string; attribution: { method: string } } };
    expect(cbCall.call.outcome).to.equal('completed');
    expect(cbCall.call.attribution.method).to.equal('callback');
    expect((await gw.api(`/v1/calls/${callback.callId}/recording`, { headers: { range: 'bytes=0-3' } })).status, 'the callback is recorded').to.equal(
      206,
    );

    // The recording streams through the API like any other: a WAV whose header says 24 s of 8 kHz mono.
    const rec = await gw.api(`/v1/calls/${r.recordingCallId}/recording`, { headers: { range: 'bytes=0-43' } });
    expect(rec.status).to.equal(206);
    const head = Buffer.from(await rec.arrayBuffer());
    expect(head.subarray(0, 4).toString('ascii')).to.equal('RIFF');
    expect(head.readUInt32LE(24)).to.equal(8000);
    expect(head.readUInt32LE(40)).to.equal(24 * 8000 * 2);

    expect(
      await seedDemoActivity({ db: t.db.knex, storage, crmSinks: gw.container.services.crmSinks, inquiries: gw.container.services.inquiries }),
    ).to.deep.equal({
      calls: 0,
      inquiries: 0,
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

describe('demo history beside a configured CRM', () => {
  const t = useTestDatabase();

  it('queues no delivery of its samples to a CRM the operator configured (LEADS_WEBHOOK_URL)', async () => {
    const storage = new LocalRecordingStorage(await mkdtemp(path.join(tmpdir(), 'demo-rec-')));
    const config = createTestConfig({
      leads: { webhook: { url: 'http://127.0.0.1:9/leads', secret: 'whsec_ZGVtby10ZXN0LXNlY3JldC0wMTIzNDU2' }, requestTimeoutMs: 5_000 },
    });
    const gw = await startTestGateway(t.db, { config, container: { recordingStorage: storage } });
    const envSink = (await t.db.knex('crm_sinks').where({ managed_by: 'env' }).first('id', 'status')) as { id: string; status: string } | undefined;
    expect(envSink?.status, "the operator's sink is active").to.equal('active');
    await seedDemo(t.db.knex);
    const r = await seedDemoActivity({
      db: t.db.knex,
      storage,
      crmSinks: gw.container.services.crmSinks,
      inquiries: gw.container.services.inquiries,
    });
    expect(r.inquiries).to.be.greaterThan(8);
    const toOperator = await t.db.knex('outbox').where({ sink_id: envSink!.id }).select('payload');
    expect(toOperator, 'demo rows queued for the real CRM').to.deep.equal([]);
    await gw.stop();
  });
});

describe('demo history: its CRM integration', () => {
  const t = useTestDatabase();

  it('writes its demo CRM integration disabled in its first commit (calls answered meanwhile queue nothing for it)', async () => {
    // The history is written while the gateway already answers calls: a sink committed active and disabled after it
    // would be given the leads of the calls applied in between, and they would go dead on it.
    const storage = new LocalRecordingStorage(await mkdtemp(path.join(tmpdir(), 'demo-rec-')));
    const gw = await startTestGateway(t.db, { container: { recordingStorage: storage } });
    await seedDemo(t.db.knex);
    const writes: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings?: unknown[] }) => {
      if (/^(insert into|update) "crm_sinks"/i.test(q.sql)) writes.push({ sql: q.sql, bindings: q.bindings ?? [] });
    };
    t.db.knex.on('query', listen);
    try {
      await seedDemoActivity({ db: t.db.knex, storage, crmSinks: gw.container.services.crmSinks, inquiries: gw.container.services.inquiries });
    } finally {
      t.db.knex.off('query', listen);
    }
    expect(
      writes.map((w) => w.sql.split(' ')[0]!.toLowerCase()),
      'one insert, no later update',
    ).to.deep.equal(['insert']);
    expect(writes[0]!.bindings).to.include('disabled');
    const demoSink = (await t.db.knex('crm_sinks').whereNull('managed_by').first('status', 'disabled_reason')) as {
      status: string;
      disabled_reason: string;
    };
    expect(demoSink).to.deep.equal({ status: 'disabled', disabled_reason: 'disabled by a user' });
    await gw.stop();
  });
});
