import { expect } from 'chai';
import { seedNumber, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import { startTwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import type { TwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import { eventually, inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';
import { startStandIn } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { createContainer } from '../../composition-root.js';
import { createLogger } from '../../logging/logger.js';
import { PgCallStore } from './call-store.js';
import { StaleCallReconciler } from './stale-call-reconciler.js';

const PUBLIC = 'https://gw.example.com';
const WEBHOOK_SECRET = 'whsec_dGVzdC1lbnYtc2VjcmV0LTAxMjM0NTY3';

/** Calls whose final callbacks arrived while the gateway was down are closed from Twilio's state, and their leads go. */
describe('stale calls after a restart', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  const twilio = { accountSid: randomSid('AC'), authToken: 'stale-token-0123456789abcdef' };
  let standIn: TwilioStandIn;
  let leads: StandIn;

  before(async () => {
    standIn = await startTwilioStandIn(twilio);
    leads = await startStandIn(() => ({ status: 204 }));
  });
  after(async () => {
    await standIn.close();
    await leads.close();
  });

  it('asks Twilio for calls stuck ringing or in progress, closes the finished ones once, and sends their leads', async () => {
    const config = createTestConfig({
      http: { publicBaseUrl: new URL(PUBLIC) },
      twilio,
      leads: { webhook: { url: `${leads.url}/leads`, secret: WEBHOOK_SECRET }, requestTimeoutMs: 5_000 },
      outbox: { concurrency: 2, pollIntervalMs: 100 },
      twilioApi: { baseUrl: new URL(standIn.baseUrl), region: null, edge: null },
    });
    const first = await startTestGateway(t.db, { config });
    const siteId = await seedSite(t.db.knex, first.accountId, { defaultForwardTo: '+15550000701' });
    await seedNumber(t.db.knex, first.accountId, { e164: '+15559990701', siteId });
    await first.container.services.routing.refresh();
    const sids = { done: randomSid('CA'), busy: randomSid('CA'), talking: randomSid('CA'), unknown: randomSid('CA') };
    // Four different callers: each call is its own customer's lead (one caller's calls would join one lead).
    for (const [i, sid] of Object.values(sids).entries()) {
      const res = await twilioPoster(first.baseUrl, PUBLIC, twilio.authToken).post(
        'voice',
        inboundParams({ accountSid: twilio.accountSid, callSid: sid, from: `+1555777071${i}`, to: '+15559990701' }),
      );
      expect(res.status).to.equal(200);
    }
    await eventually(async () => Number((await t.db.knex('calls').count({ n: '*' }))[0]!.n) === 4, 10_000, 'four calls');
    // The gateway stops; the final callbacks Twilio sends meanwhile are lost. An hour later it starts again.
    await first.stop();
    await t.db.knex('calls').update({ started_at: t.db.knex.raw("started_at - interval '1 hour'") });
    const end = new Date(Date.now() - 30 * 60_000).toUTCString().replace('GMT', '+0000');
    standIn.calls.set(sids.done, { status: 'completed', duration: '95', end_time: end });
    standIn.calls.set(sids.busy, { status: 'busy', duration: '0', end_time: end });
    standIn.calls.set(sids.talking, { status: 'in-progress', duration: null, end_time: null });

    const second = await createContainer(config, { database: t.db, defaultMetrics: false });
    t.db.onDispose(() => second.stop());
    const address = await second.start();
    const byStatus = async () =>
      Object.fromEntries(
        (
          (await t.db.knex('calls').select('provider_call_id', 'status', 'outcome')) as {
            provider_call_id: string;
            status: string;
            outcome: string | null;
          }[]
        ).map((c) => [c.provider_call_id, `${c.status}/${c.outcome ?? '-'}`]),
      );
    await eventually(async () => (await byStatus())[sids.unknown] === 'ended/no-answer', 15_000, 'the calls closed');
    const states = await byStatus();
    expect(states[sids.done]).to.equal('ended/completed');
    expect(states[sids.busy]).to.equal('ended/busy');
    expect(states[sids.talking], 'still in progress at Twilio: left open').to.equal('ringing/-');
    expect(
      standIn.requests
        .filter((r) => r.operationId === 'FetchCall')
        .map((r) => r.pathParams.Sid)
        .sort(),
    ).to.deep.equal(Object.values(sids).sort());

    // Their leads (call.ended) go to the CRM like any other ended call's.
    const endedLeads = async () =>
      leads.requests
        .filter((r) => r.method === 'POST')
        .map((r) => JSON.parse(r.body) as { type: string; data: { provider_call_id?: string; call_id: string } })
        .filter((e) => e.type === 'call.completed');
    await eventually(async () => (await endedLeads()).length === 3, 15_000, 'the leads of the closed calls');

    // The real final callback arriving late changes nothing: it carries the same event key.
    const late = await twilioPoster(`http://127.0.0.1:${address.port}`, PUBLIC, twilio.authToken).post('status', {
      AccountSid: twilio.accountSid,
      CallSid: sids.done,
      CallStatus: 'completed',
      CallDuration: '95',
      Timestamp: end,
    });
    expect(late.status).to.equal(200);
    expect(await t.db.knex('call_events').where({ provider_call_id: sids.done, type: 'call.ended' })).to.have.length(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await endedLeads(), 'one lead per closed call').to.have.length(3);
    standIn.problems.length = 0;
    await second.stop();
  });
});

describe('stale Asterisk calls', () => {
  const t = useTestDatabase();

  it('closes a call the PBX no longer lists among its channels, and keeps one it still has', async () => {
    const gw = await startTestGateway(t.db);
    const siteId = await seedSite(t.db.knex, gw.accountId, { defaultForwardTo: '+15550000702' });
    await seedNumber(t.db.knex, gw.accountId, { e164: '+15559990702', siteId });
    const calls = gw.container.services.calls;
    const at = new Date(Date.now() - 3_600_000);
    for (const id of ['1770888509.40', '1770888511.44'])
      await calls.apply({
        type: 'call.ringing',
        provider: 'asterisk',
        providerCallId: id,
        eventKey: `${id}:newchannel`,
        occurredAt: at,
        trackingNumber: '+15559990702',
        caller: '+15557770702',
      });
    // CoreShowChannels lists the second call's channels (Uniqueid or Linkedid), not the first's.
    const reconciler = new StaleCallReconciler({
      db: t.db.knex,
      calls: new PgCallStore(),
      sink: calls,
      twilio: null,
      asterisk: async () => new Set(['1770888511.44', '1770888511.45']),
      clock: { now: () => new Date(), nowMs: () => Date.now() },
      logger: createLogger({ level: 'silent' }),
    });
    expect(await reconciler.runOnce()).to.equal(1);
    expect(await reconciler.runOnce(), 'closed once').to.equal(0);
    const rows = (await t.db.knex('calls').select('provider_call_id', 'status', 'outcome').orderBy('provider_call_id')) as {
      provider_call_id: string;
      status: string;
      outcome: string | null;
    }[];
    expect(rows.map((r) => `${r.provider_call_id} ${r.status} ${r.outcome ?? '-'}`)).to.deep.equal([
      '1770888509.40 ended no-answer',
      '1770888511.44 ringing -',
    ]);
    await gw.stop();
  });
});
