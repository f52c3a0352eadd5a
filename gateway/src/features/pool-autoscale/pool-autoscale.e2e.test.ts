import { expect } from 'chai';
import { seedLease, seedNumber, seedPool, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startTwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import type { TwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import { randomSid } from '../../../test/helpers/twilio-webhooks.js';
import { ManualClock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import { AutoscaleStore } from './autoscale-store.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface Action {
  id: string;
  action: string;
  status: string;
  e164: string | null;
  trackingNumberId: string | null;
  undoable: boolean;
  decidedBy: string | null;
  details: Record<string, unknown>;
}

// The whole cycle on a virtual clock: grow by buying from the Twilio stand-in (within the size and cost limits),
// then shrink in three steps, with an admin undoing a pause and confirming the release of a number that took calls.
describe('pool autoscaling (Twilio stand-in, virtual clock)', () => {
  const t = useTestDatabase();
  const creds = { accountSid: randomSid('AC'), authToken: 'autoscale-token-0123456789abcdef' };
  const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
  let standIn: TwilioStandIn;
  let gw: TestGateway;
  let poolId: string;
  const seeded: { id: string; e164: string }[] = [];

  const tick = () => gw.container.scheduler.runNow('pool-autoscale.tick');
  const actions = async (): Promise<Action[]> =>
    ((await (await gw.api(`/v1/pools/${poolId}/autoscale/actions`)).json()) as { items: Action[] }).items;
  const statusOf = async (id: string) => ((await t.db.knex('tracking_numbers').where({ id }).first()) as { status: string }).status;
  const poolNumbers = async () => (await t.db.knex('tracking_numbers').where({ pool_id: poolId }).whereNot('status', 'released')) as { id: string }[];

  before(async () => {
    standIn = await startTwilioStandIn(creds, { available: ['+14155550201', '+14155550202', '+14155550203'] });
    gw = await startTestGateway(t.db, {
      config: createTestConfig({ twilio: creds, twilioApi: { baseUrl: new URL(standIn.baseUrl), region: null, edge: null } }),
      container: { clock },
    });
    const siteId = await seedSite(t.db.knex, gw.accountId, { defaultForwardTo: '+15550000001' });
    poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'session' });
    for (const e164 of ['+15550300001', '+15550300002'])
      seeded.push({ id: await seedNumber(t.db.knex, gw.accountId, { e164, siteId, poolId }), e164 });
    // An hour ago, 10 visits in one quarter hour (40/h at peak) holding a number 3 minutes: the recommendation is
    // ceil(40/3600 · (180 + 1020)) = 14 numbers, far above the 2 the pool has.
    for (let k = 0; k < 10; k++) {
      const at = clock.nowMs() - HOUR + k * 60_000;
      const n = seeded[k % 2]!;
      await seedLease(t.db.knex, gw.accountId, {
        poolId,
        numberId: n.id,
        e164: n.e164,
        sessionId: newId(),
        visitorId: null,
        leasedAt: new Date(at),
        releasedAt: new Date(at + 180_000),
      });
    }
  });
  after(async () => {
    await gw.stop();
    await standIn.close();
  });
  afterEach(() => expect(standIn.problems, 'requests the OpenAPI document does not allow').to.deep.equal([]));

  it('publishes its routes in the OpenAPI document with their roles', async () => {
    const doc = (await (await gw.api('/v1/openapi.json')).json()) as { paths: Record<string, Record<string, { 'x-roles'?: string[] }>> };
    const base = '/v1/pools/{poolId}/autoscale';
    expect(doc.paths[base]?.get?.['x-roles']).to.include('analyst');
    expect(doc.paths[base]?.put?.['x-roles']).to.deep.equal(['owner', 'admin']);
    for (const verb of ['undo', 'confirm', 'reject'])
      expect(doc.paths[`${base}/actions/{actionId}/${verb}`]?.post?.['x-roles'], verb).to.deep.equal(['owner', 'admin']);
    expect(doc.paths[`${base}/actions`]?.get).to.be.an('object');
  });

  it('is off until enabled, and rejects bad settings', async () => {
    const off = (await (await gw.api(`/v1/pools/${poolId}/autoscale`)).json()) as { settings: { enabled: boolean }; pending: number };
    expect(off.settings.enabled).to.equal(false);
    await tick();
    expect(await actions()).to.deep.equal([]);
    const bad = await gw.api(`/v1/pools/${poolId}/autoscale`, { method: 'PUT', json: { maxSize: 0 } });
    expect(bad.status).to.equal(400);
    expect((await gw.api(`/v1/pools/${poolId}/autoscale`, { method: 'PUT', json: { enabled: true }, key: null })).status).to.equal(401);
  });

  it('buys after the recommendation has stayed above the size for growAfterMinutes, within the cost cap', async () => {
    const put = await gw.api(`/v1/pools/${poolId}/autoscale`, {
      method: 'PUT',
      // Two numbers at 1.15 = 2.30 a month; a cap of 3.50 leaves room for one more, though the size cap allows two.
      json: {
        enabled: true,
        maxSize: 4,
        monthlyCostCap: 3.5,
        numberMonthlyCost: 1.15,
        growAfterMinutes: 30,
        shrinkAfterHours: 2,
        quarantineAfterDays: 1,
        releaseAfterDays: 2,
      },
    });
    expect(put.status).to.equal(200);
    await tick();
    expect(await actions(), 'the timer only started').to.deep.equal([]);
    clock.advance(31 * MIN);
    // Another replica holds the pool's round: this one does nothing (a claim lapses after 4 minutes).
    const store = new AutoscaleStore();
    expect(await store.claim(t.db.knex, poolId, clock.now(), new Date(clock.nowMs() + 4 * MIN))).to.equal(true);
    await tick();
    expect(await actions(), 'claimed by another replica').to.deep.equal([]);
    expect(await store.claim(t.db.knex, poolId, clock.now(), new Date(clock.nowMs() + 4 * MIN))).to.equal(false);
    await store.unclaim(t.db.knex, poolId);
    await tick();
    const log = await actions();
    expect(log.map((a) => [a.action, a.status])).to.deep.equal([['buy', 'done']]);
    expect(log[0]!.e164).to.equal('+14155550201');
    expect(log[0]!.details).to.include({ recommendedSize: 14, activeNumbers: 2 });
    expect(standIn.requests.filter((r) => r.operationId === 'CreateIncomingPhoneNumber')).to.have.length(1);
    const bought = (await t.db.knex('tracking_numbers').where({ id: log[0]!.trackingNumberId }).first()) as { pool_id: string; monthly_cost: string };
    expect(bought.pool_id).to.equal(poolId);
    expect(Number(bought.monthly_cost)).to.equal(1.15);
    // At the cap: later rounds buy nothing more.
    clock.advance(31 * MIN);
    await tick();
    expect(await actions()).to.have.length(1);
  });

  it('pauses the least-called surplus once the recommendation stays below, then quarantines and releases; an admin undoes a pause', async () => {
    // A call last week on the first seeded number: it is the most called, and may not be released without an admin.
    await t.db.knex('calls').insert({
      id: newId(),
      account_id: gw.accountId,
      provider: 'twilio',
      provider_call_id: randomSid('CA'),
      tracking_number_id: seeded[0]!.id,
      tracking_e164: seeded[0]!.e164,
      caller: '+15557770001',
      status: 'ended',
      started_at: new Date(clock.nowMs() + 9 * DAY),
    });
    // 15 days on, the busy hour is out of the 14-day window: the recommendation is 1 against 3 active numbers.
    clock.advance(15 * DAY);
    await tick();
    expect(await actions()).to.have.length(1);
    clock.advance(2 * HOUR + MIN);
    await tick();
    const paused = (await actions()).filter((a) => a.action === 'pause');
    expect(paused).to.have.length(2);
    expect(paused.every((a) => a.status === 'done' && a.undoable)).to.equal(true);
    expect(
      paused.map((a) => a.trackingNumberId),
      'the called number stays active',
    ).to.not.include(seeded[0]!.id);
    expect(await statusOf(seeded[0]!.id)).to.equal('active');

    // The admin undoes one pause: active again, logged as an unpause by the admin; the undone pause cannot be undone twice.
    const undoneId = paused[0]!.id;
    const undo = await gw.api(`/v1/pools/${poolId}/autoscale/actions/${undoneId}/undo`, { method: 'POST' });
    expect(undo.status).to.equal(200);
    const reversal = (await undo.json()) as Action;
    expect(reversal).to.include({ action: 'unpause', status: 'done' });
    expect(reversal.decidedBy).to.be.a('string');
    expect(await statusOf(paused[0]!.trackingNumberId!)).to.equal('active');
    expect((await gw.api(`/v1/pools/${poolId}/autoscale/actions/${undoneId}/undo`, { method: 'POST' })).status).to.equal(409);

    // A day later the remaining paused number is quarantined (the undo restarted the shrink timer, so nothing else is paused yet).
    clock.advance(DAY + MIN);
    await tick();
    const quarantined = (await actions()).filter((a) => a.action === 'quarantine');
    expect(quarantined).to.have.length(1);
    expect(await statusOf(quarantined[0]!.trackingNumberId!)).to.equal('quarantined');
    // Two more days: released (it took no call), back at Twilio if it was bought there.
    clock.advance(2 * DAY + MIN);
    await tick();
    const released = (await actions()).filter((a) => a.action === 'release');
    expect(released.map((a) => [a.trackingNumberId, a.status])).to.deep.include([quarantined[0]!.trackingNumberId, 'done']);
    expect(await statusOf(quarantined[0]!.trackingNumberId!)).to.equal('released');
    const final = await gw.api(`/v1/pools/${poolId}/autoscale/actions/${released[0]!.id}/undo`, { method: 'POST' });
    expect(final.status).to.equal(409);
    expect(((await final.json()) as { message: string }).message).to.match(/cannot be un-released/);
  });

  it('never releases a number that took a call in the last 30 days without an admin confirming', async () => {
    // The last round paused the pool's least-called active number; a paused number still routes, and it takes a call.
    const log = await actions();
    const stillPaused: Action[] = [];
    for (const a of log.filter((x) => x.action === 'pause' && x.status === 'done'))
      if ((await statusOf(a.trackingNumberId!)) === 'paused') stillPaused.push(a);
    expect(stillPaused).to.have.length(1);
    const id = stillPaused[0]!.trackingNumberId!;
    await t.db.knex('calls').insert({
      id: newId(),
      account_id: gw.accountId,
      provider: 'twilio',
      provider_call_id: randomSid('CA'),
      tracking_number_id: id,
      tracking_e164: stillPaused[0]!.e164!,
      caller: '+15557770002',
      status: 'ended',
      started_at: clock.now(),
    });
    clock.advance(DAY + MIN);
    await tick();
    expect(await statusOf(id)).to.equal('quarantined');
    clock.advance(2 * DAY + MIN);
    await tick();
    const pending = (await actions()).filter((a) => a.action === 'release' && a.trackingNumberId === id);
    expect(
      pending.map((a) => a.status),
      'a number with a call in 30 days waits for an admin',
    ).to.deep.equal(['pending']);
    expect(pending[0]!.details).to.include({ recentCalls: 1 });
    expect(await statusOf(id)).to.equal('quarantined');
    expect(((await (await gw.api(`/v1/pools/${poolId}/autoscale`)).json()) as { pending: number }).pending).to.equal(1);
    // Another round asks no second time.
    clock.advance(HOUR);
    await tick();
    expect((await actions()).filter((a) => a.action === 'release' && a.trackingNumberId === id)).to.have.length(1);
    const ok = await gw.api(`/v1/pools/${poolId}/autoscale/actions/${pending[0]!.id}/confirm`, { method: 'POST' });
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as Action).status).to.equal('done');
    expect(await statusOf(id)).to.equal('released');
    expect((await gw.api(`/v1/pools/${poolId}/autoscale/actions/${pending[0]!.id}/confirm`, { method: 'POST' })).status).to.equal(409);
    expect((await poolNumbers()).length, 'the busiest number stays').to.equal(1);
  });
});
