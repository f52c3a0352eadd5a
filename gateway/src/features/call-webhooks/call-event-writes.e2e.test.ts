import { expect } from 'chai';
import { seedNumber, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { eventually, randomSid } from '../../../test/helpers/twilio-webhooks.js';
import type { CallRingingEvent } from '../calls/call-events.js';
import { PgCallEventInboxStore } from './call-event-inbox-store.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'writes-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';
const NUMBER = '+15551110001';

const ringing = (callSid: string, caller: string): CallRingingEvent => ({
  type: 'call.ringing',
  provider: 'twilio',
  providerCallId: callSid,
  eventKey: `${callSid}:voice`,
  occurredAt: new Date(),
  trackingNumber: NUMBER,
  caller,
});

async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = await gw.container.registry.getSingleMetricAsString(name);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe('call writes in batches', function () {
  this.timeout(60_000);
  const t = useTestDatabase();

  describe('a batch with a bad event', () => {
    let gw: TestGateway;
    before(async () => {
      const config = createTestConfig({ http: { publicBaseUrl: new URL(PUBLIC) }, twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
      gw = await startTestGateway(t.db, { config });
      const siteId = await seedSite(t.db.knex, gw.accountId);
      await seedNumber(t.db.knex, gw.accountId, { e164: NUMBER, siteId, forwardTo: '+15550000002' });
    });

    it('writes the good events of the batch and counts the bad one', async () => {
      const pipeline = gw.container.services.callEvents;
      const sids = Array.from({ length: 30 }, () => randomSid('CA'));
      // All in one turn of the event loop: one batch. A NUL byte is refused by PostgreSQL's jsonb (the webhook
      // edge strips it; the writer must not depend on that).
      for (const [i, sid] of sids.entries())
        pipeline.submit(ringing(sid, i === 7 ? '+1555\u00007770000' : `+155577701${String(i).padStart(2, '0')}`));
      await eventually(async () => pipeline.pending === 0, 20_000, 'the writes');
      const stored = await t.db.knex('calls').whereIn('provider_call_id', sids).select('provider_call_id');
      expect(stored.map((r) => r.provider_call_id).sort()).to.deep.equal(sids.filter((_, i) => i !== 7).sort());
      expect(pipeline.writer.totals.rejected).to.equal(1);
      expect(await metric(gw, 'gateway_call_events_rejected_total')).to.equal(1);
      const left = (await t.db.knex('call_event_inbox').count({ n: '*' }).first()) as { n: number | string };
      expect(Number(left.n)).to.equal(0);
    });
  });
});

describe('call-event inbox on two replicas', () => {
  // A database of its own: no gateway's worker claims from it meanwhile.
  const t = useTestDatabase();

  it("keeps a callback's event for the replica it waits in: another replica's claim passes it by", async () => {
    const a = new PgCallEventInboxStore(t.db.knex);
    const b = new PgCallEventInboxStore(t.db.knex);
    const [waited, other] = [randomSid('CA'), randomSid('CA')];
    const entries = [
      { id: `held-${waited}`, event: ringing(waited, '+15557770001'), receivedAt: Date.now() },
      { id: `free-${other}`, event: ringing(other, '+15557770002'), receivedAt: Date.now() },
    ];
    const inserted = await a.insertMany(entries, (id) => id.startsWith('held-'), 5_000);
    expect([...inserted].sort()).to.deep.equal(entries.map((e) => e.id).sort());
    const byB = await b.claim(400, 5_000);
    expect(
      byB.map((c) => c.id),
      'the other replica takes only the event nobody waits for',
    ).to.deep.equal([`free-${other}`]);
    const byA = await a.claimIds([`held-${waited}`, `free-${other}`], 5_000);
    expect(
      byA.map((c) => [c.id, c.attempts]),
      'the waiting replica takes its own, not the one B holds',
    ).to.deep.equal([[`held-${waited}`, 1]]);
    expect(await b.claim(400, 5_000), 'claimed now: nobody else takes it').to.deep.equal([]);
    await a.remove([`held-${waited}`, `free-${other}`]);
  });
});
