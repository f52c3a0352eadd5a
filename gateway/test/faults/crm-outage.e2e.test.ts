import { expect } from 'chai';
import type { Clock } from '../../src/shared/clock.js';
import { seedNumber, seedSite } from '../helpers/call-fixtures.js';
import { createTestConfig } from '../helpers/config.js';
import { useTestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from '../helpers/twilio-webhooks.js';
import { deliveryFigures, startWebhookReceiver } from './webhook-receiver.js';
import type { WebhookReceiver } from './webhook-receiver.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'crm-fault-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TRACKING = '+15551110001';
const FORWARD_TO = '+15550000002';
const CALLS = 12;

/** Wall time plus a jump the test makes: the retry schedule's minutes pass in a moment. */
class JumpingClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(this.nowMs());
  }
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}

/**
 * The lead endpoint is down (its port refuses connections) for every call of the test and every retry the schedule
 * makes meanwhile; when it is back, the next retry delivers each call's events exactly once.
 */
describe('faults: the lead endpoint down for the whole test, then back', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let gw: TestGateway | null = null;
  let crm: WebhookReceiver | null = null;
  const clock = new JumpingClock();

  before(async () => {
    crm = await startWebhookReceiver(SECRET);
    await crm.down();
    const config = createTestConfig({
      http: { publicBaseUrl: new URL(PUBLIC) },
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
      leads: { webhook: { url: crm.url, secret: SECRET } },
      outbox: { concurrency: 4, pollIntervalMs: 100 },
    });
    gw = await startTestGateway(t.db, { config, container: { clock } });
    const siteId = await seedSite(t.db.knex, gw.accountId, { defaultForwardTo: '+15550000001' });
    await seedNumber(t.db.knex, gw.accountId, { e164: TRACKING, siteId, forwardTo: FORWARD_TO });
    await gw.container.services.routing.refresh();
  });
  after(async () => {
    await gw?.stop();
    await crm?.close();
  });

  const outbox = async () =>
    (await t.db.knex('outbox').select('id', 'status', 'attempts', 'aggregate_id')) as {
      id: string;
      status: string;
      attempts: number;
      aggregate_id: string;
    }[];

  it('delivers every lead exactly once after the outage', async () => {
    const tw = twilioPoster(gw!.baseUrl, PUBLIC, AUTH_TOKEN);
    const sids: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const sid = randomSid('CA');
      sids.push(sid);
      const from = `+1555888${String(1000 + i).slice(-4)}`;
      expect((await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: sid, from, to: TRACKING }))).status).to.equal(200);
      for (const cb of answeredCallCallbacks({ accountSid: ACCOUNT_SID, callSid: sid, from, to: TRACKING, forwardTo: FORWARD_TO, talkSeconds: 9 })) {
        expect((await tw.post(cb.path, cb.params)).status).to.equal(200);
      }
    }
    const calls = await eventually(
      async () => {
        const r = (await t.db.knex('calls').whereIn('provider_call_id', sids).where({ status: 'ended' }).select('id')) as { id: string }[];
        return r.length === CALLS ? r.map((x) => x.id) : null;
      },
      20_000,
      'the calls stored',
    );
    // A call's events go in order, so each call's first event takes the attempts: at once, then 5 s later.
    const headsTried = async (n: number) => {
      const rows = await outbox();
      return new Set(rows.filter((r) => r.attempts >= n).map((r) => r.aggregate_id)).size === CALLS && rows.every((r) => r.status === 'pending');
    };
    await eventually(() => headsTried(1), 20_000, 'first attempts failed');
    clock.offsetMs += 6_000;
    await eventually(() => headsTried(2), 20_000, 'second attempts failed');
    const attemptsWhileDown = (await outbox()).reduce((n, r) => n + r.attempts, 0);
    expect(crm!.arrivals.size, 'nothing reached the endpoint while it was down').to.equal(0);

    await crm!.up();
    // The next attempt is 5 minutes after the second.
    clock.offsetMs += 6 * 60_000;
    await eventually(async () => (await outbox()).every((r) => r.status === 'delivered'), 20_000, 'every lead delivered');
    const rows = await outbox();
    const f = deliveryFigures(crm!, calls, 'call.completed');
    // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
    console.log(
      `crm fault (${t.db.kind}): ${CALLS} calls, ${rows.length} lead events, ${attemptsWhileDown} attempts refused while down, ` +
        `${f.events} processed, missing ${f.missing.length}, doubled ${f.doubled.length}, redelivered ${f.redelivered}`,
    );
    expect(crm!.badSignatures).to.equal(0);
    expect(f.missing, 'calls whose completed event never arrived').to.deep.equal([]);
    expect(f.doubled, 'events delivered under two ids').to.deep.equal([]);
    expect(f.events, 'one processed event per outbox row').to.equal(rows.length);
    expect(f.redelivered, 'nothing sent twice once the endpoint answered').to.equal(0);
  });
});
