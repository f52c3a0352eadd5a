import { expect } from 'chai';
import type { CallEvent } from '../calls/call-events.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { seedNumber, seedPool } from '../../../test/helpers/call-fixtures.js';
import { waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import { startRetailCrmStandIn } from '../../../test/stand-ins/retailcrm-stand-in.js';
import { newId } from '../../shared/ids.js';

const RETAIL_KEY = 'retail-history-key-0001';
const TRACKING = '+74951238888';
const JOB = 'crm-sinks.retailcrm-history';

/**
 * Deal status from RetailCRM's order history (`statusSync: "history"`), for accounts that cannot set up the status
 * trigger: the gateway pages through `orders/history` after its cursor, reads back its own changed orders and maps
 * their status like the trigger does. The stand-in serves the API's history shape and checks key, sinceId and paging.
 */
describe('RetailCRM deal status by polling the order history', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let retail: Awaited<ReturnType<typeof startRetailCrmStandIn>>;
  let anna: { first: string; repeat: string; leadId: string };
  let boris: { first: string; leadId: string };
  let sinkId: string;
  let nextCall = Date.now() - 3_600_000;

  const ring = async (caller: string): Promise<string> => {
    const sid = `CA${newId()}`;
    nextCall += 60_000;
    const at = new Date(nextCall);
    const base = { provider: 'twilio' as const, providerCallId: sid };
    const events: CallEvent[] = [
      { ...base, type: 'call.ringing', eventKey: `${sid}:r`, occurredAt: at, trackingNumber: TRACKING, caller },
      { ...base, type: 'call.answered', eventKey: `${sid}:a`, occurredAt: new Date(at.getTime() + 4000), answeredBy: 'human' },
      { ...base, type: 'call.ended', eventKey: `${sid}:e`, occurredAt: new Date(at.getTime() + 94_000), outcome: 'completed' },
    ];
    for (const e of events) await gw.container.services.calls.apply(e);
    return ((await t.db.knex('calls').where({ provider_call_id: sid }).first()) as { id: string }).id;
  };
  const leadOf = async (callId: string) => ((await t.db.knex('calls').where({ id: callId }).first()) as { lead_id: string }).lead_id;
  const lead = async (id: string) => {
    const r = (await t.db.knex('leads').where({ id }).first()) as { status: string; amount: string | null; currency: string | null };
    return { status: r.status, amount: r.amount === null ? null : Number(r.amount), currency: r.currency };
  };
  const cursor = async () =>
    (await t.db.knex('crm_history_cursors').where({ sink_id: sinkId }).first()) as { since_id: string | null; last_error: string | null };
  const historyRequests = () => retail.requests.filter((r) => r.path === '/api/v5/orders/history');
  const orderReads = () =>
    retail.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v5/orders/') && r.path !== '/api/v5/orders/history');
  const poll = () => gw.container.scheduler.runNow(JOB);

  before(async () => {
    retail = await startRetailCrmStandIn(RETAIL_KEY);
    gw = await startTestGateway(t.db, { config: createTestConfig() });
    const site = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', settings: { currency: 'RUB' } } });
    const siteId = ((await site.json()) as { id: string }).id;
    const poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'static' });
    await seedNumber(t.db.knex, gw.accountId, { e164: TRACKING, siteId, poolId, forwardTo: '+74950000000' });
    const res = await gw.api(`/v1/sites/${siteId}/crm-sinks`, {
      method: 'POST',
      json: {
        kind: 'retailcrm',
        name: 'Retail',
        config: { baseUrl: retail.url, site: 'main-site', wonStatuses: ['complete'], lostStatuses: ['cancel-other'], statusSync: 'history' },
        secrets: { apiKey: RETAIL_KEY },
        deliverOn: ['call.started', 'call.ended'],
      },
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    sinkId = ((await res.json()) as { sink: { id: string } }).sink.id;
    const a1 = await ring('+79161113301');
    const a2 = await ring('+79161113301');
    const b1 = await ring('+79161113302');
    anna = { first: a1, repeat: a2, leadId: await leadOf(a1) };
    boris = { first: b1, leadId: await leadOf(b1) };
    await waitUntil(
      async () =>
        Number(((await t.db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
      30_000,
      'deliveries settled',
    );
    expect([...retail.orders.keys()].sort()).to.deep.equal([anna.first, boris.first].sort());
  });
  after(async () => {
    await gw?.stop();
    await retail?.close();
  });

  it('takes won and lost from the changed orders, reads back only its own, and starts from the sink’s creation', async () => {
    retail.foreign(3);
    retail.change(anna.first, 'status', { status: 'complete', totalSumm: 25000 });
    retail.change(boris.first, 'status', { status: 'cancel-other' });
    await poll();
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'won', amount: 25000, currency: 'RUB' });
    expect(await lead(boris.leadId)).to.include({ status: 'lost' });
    const [first] = historyRequests();
    expect(first!.headers['x-api-key']).to.equal(RETAIL_KEY);
    expect(first!.query.get('filter[sinceId]'), 'no cursor yet').to.equal(null);
    expect(first!.query.get('filter[startDate]')).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(first!.query.get('limit')).to.equal('100');
    expect(first!.query.get('page')).to.equal('1');
    // Each of our orders read back once by externalId in the sink's store; the foreign ones never.
    expect(
      orderReads()
        .map((r) => [decodeURIComponent(r.path.split('/').pop()!), r.query.get('by'), r.query.get('site')])
        .sort(),
    ).to.deep.equal(
      [
        [anna.first, 'externalId', 'main-site'],
        [boris.first, 'externalId', 'main-site'],
      ].sort(),
    );
    expect(Number((await cursor()).since_id)).to.equal(Math.max(...retail.history.map((h) => h.id)));
    const conv = (await t.db.knex('conversions').where({ lead_id: anna.leadId }).select('stage', 'status', 'revenue')) as { stage: string }[];
    expect(conv.map((c) => c.stage)).to.include('complete');
  });

  it('asks only for changes after its cursor, and pages through a backlog with the same sinceId', async () => {
    const since = Number((await cursor()).since_id);
    const before = historyRequests().length;
    const readsBefore = orderReads().length;
    await poll();
    const quiet = historyRequests().slice(before);
    expect(quiet.map((r) => [r.query.get('filter[sinceId]'), r.query.get('page')])).to.deep.equal([[String(since), '1']]);
    expect(orderReads().length, 'nothing changed, nothing read back').to.equal(readsBefore);

    // 150 changes: two pages of 100; Anna's deal is reopened in the last one.
    retail.foreign(149);
    retail.change(anna.first, 'status', { status: 'new' });
    const mark = historyRequests().length;
    await poll();
    const paged = historyRequests().slice(mark);
    expect(paged.map((r) => [r.query.get('filter[sinceId]'), r.query.get('page'), r.query.get('limit')])).to.deep.equal([
      [String(since), '1', '100'],
      [String(since), '2', '100'],
    ]);
    expect(await lead(anna.leadId)).to.include({ status: 'open' });
    expect(Number((await cursor()).since_id)).to.equal(Math.max(...retail.history.map((h) => h.id)));
  });

  it('keeps its cursor when RetailCRM fails, and applies the change on the next run', async () => {
    const since = (await cursor()).since_id;
    retail.change(boris.first, 'status', { status: 'complete', totalSumm: 1200.5 });
    retail.queueFaults('503');
    await poll();
    expect((await cursor()).since_id, 'not moved').to.equal(since);
    expect((await cursor()).last_error).to.contain('503');
    expect(await lead(boris.leadId)).to.include({ status: 'lost' });
    await poll();
    expect(await lead(boris.leadId)).to.deep.equal({ status: 'won', amount: 1200.5, currency: 'RUB' });
    expect((await cursor()).last_error).to.equal(null);
  });

  it('refuses an unknown statusSync value with the error shape', async () => {
    const res = await gw.api(`/v1/sites/${(await t.db.knex('crm_sinks').where({ id: sinkId }).first('site_id')).site_id}/crm-sinks/${sinkId}`, {
      method: 'PATCH',
      json: { config: { baseUrl: retail.url, site: 'main-site', statusSync: 'sometimes' } },
    });
    expect(res.status).to.equal(400);
  });
});
