import { expect } from 'chai';
import type { CallEvent } from '../calls/call-events.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { seedNumber, seedPool } from '../../../test/helpers/call-fixtures.js';
import { startBitrix24StandIn } from '../../../test/stand-ins/bitrix24-stand-in.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { startRetailCrmStandIn } from '../../../test/stand-ins/retailcrm-stand-in.js';
import { newId } from '../../shared/ids.js';

const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RETAIL_KEY = 'retail-test-key-0001';
const B24_APP_TOKEN = '51856fefc120afa4b628cc82d3935cce';
const TRACKING = '+74951239999';

interface LeadRow {
  status: string;
  amount: string | number | null;
  currency: string | null;
}

/**
 * The revenue loop: CRMs tell the gateway how a lead went, in their own formats, and the customer lead becomes a deal
 * (won, with its amount as revenue in the site's currency), lost, or open again.
 */
describe('CRM outcomes: won / lost / reopened leads from the generic API, RetailCRM and Bitrix24', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let hook: StandIn;
  let retail: Awaited<ReturnType<typeof startRetailCrmStandIn>>;
  let b24: Awaited<ReturnType<typeof startBitrix24StandIn>>;
  const sinks: Record<string, { id: string; token: string }> = {};
  let anna: { first: string; repeat: string; leadId: string };
  let boris: { first: string; leadId: string };
  let nextCall = Date.parse('2026-11-20T09:00:00Z');

  const ring = async (caller: string): Promise<string> => {
    const sid = `CA${newId()}`;
    nextCall += 600_000;
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
    const r = (await t.db.knex('leads').where({ id }).first()) as LeadRow;
    return { status: r.status, amount: r.amount === null ? null : Number(r.amount), currency: r.currency };
  };
  const settled = () =>
    waitUntil(
      async () =>
        Number(((await t.db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
      30_000,
      'deliveries settled',
    );
  const generic = (body: unknown, token = sinks.webhook!.token) =>
    fetch(`${gw.baseUrl}/v1/crm-feedback/${sinks.webhook!.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const form = (path: string, fields: Record<string, string>) =>
    fetch(`${gw.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const retailStatus = (fields: Record<string, string>, token = sinks.retailcrm!.token) =>
    form(`/v1/crm-feedback/${sinks.retailcrm!.id}/retailcrm?token=${encodeURIComponent(token)}`, fields);
  // As Bitrix24 posts an outbound event: form fields with PHP-style keys (b24restdocs on-crm-deal-update).
  const b24Event = (event: string, id: number, token = B24_APP_TOKEN) =>
    form(`/v1/crm-feedback/${sinks.bitrix24!.id}/bitrix24`, {
      event,
      event_handler_id: '201',
      'data[FIELDS][ID]': String(id),
      ts: '1736405807',
      'auth[domain]': 'some-domain.bitrix24.com',
      'auth[client_endpoint]': 'https://some-domain.bitrix24.com/rest/',
      'auth[server_endpoint]': 'https://oauth.bitrix.info/rest/',
      'auth[member_id]': 'a223c6b3710f85df22e9377d6c4f7553',
      'auth[application_token]': token,
    });

  before(async () => {
    hook = await startStandIn(() => ({ status: 204 }));
    retail = await startRetailCrmStandIn(RETAIL_KEY);
    b24 = await startBitrix24StandIn({ user: '1', code: 'fbcode', appToken: 'unused' });
    gw = await startTestGateway(t.db, { config: createTestConfig() });
    const site = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', settings: { currency: 'RUB' } } });
    const siteId = ((await site.json()) as { id: string }).id;
    const poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'static' });
    await seedNumber(t.db.knex, gw.accountId, { e164: TRACKING, siteId, poolId, forwardTo: '+74950000000' });
    const deliverOn = ['call.started', 'call.ended'];
    const defs = {
      webhook: { kind: 'webhook', name: 'Hook', config: { url: `${hook.url}/hook` }, secrets: { secret: HOOK_SECRET }, deliverOn },
      retailcrm: {
        kind: 'retailcrm',
        name: 'Retail',
        config: { baseUrl: retail.url, site: 'main-site', wonStatuses: ['complete', 'paid'], lostStatuses: ['cancel-other'] },
        secrets: { apiKey: RETAIL_KEY },
        deliverOn,
      },
      bitrix24: {
        kind: 'bitrix24',
        name: 'B24',
        config: {},
        secrets: { webhookUrl: `${b24.url}/rest/1/fbcode/`, applicationToken: B24_APP_TOKEN },
        deliverOn,
      },
    };
    for (const [k, def] of Object.entries(defs)) {
      const res = await gw.api(`/v1/sites/${siteId}/crm-sinks`, { method: 'POST', json: def });
      expect(res.status, k).to.equal(201);
      const created = (await res.json()) as { sink: { id: string }; feedbackToken: string };
      sinks[k] = { id: created.sink.id, token: created.feedbackToken };
    }
    const a1 = await ring('+79161112201');
    const a2 = await ring('+79161112201');
    const b1 = await ring('+79161112202');
    anna = { first: a1, repeat: a2, leadId: await leadOf(a1) };
    boris = { first: b1, leadId: await leadOf(b1) };
    expect(await leadOf(a2)).to.equal(anna.leadId);
    await settled();
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([hook?.close(), retail?.close(), b24?.close()]);
  });

  it('generic feedback: won makes a deal with its amount, lost loses it, open reopens it; a repeat call reports on the same lead', async () => {
    const won = await generic({ callId: anna.repeat, stage: 'WON', status: 'won', amount: 15000, currency: 'RUB' });
    expect(won.status).to.equal(200);
    expect(await won.json()).to.include({ leadId: anna.leadId, leadStatus: 'won', created: true });
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'won', amount: 15000, currency: 'RUB' });
    const lost = await generic({ callId: anna.first, stage: 'LOSE', status: 'lost' });
    expect(lost.status).to.equal(200);
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'lost', amount: null, currency: null });
    const reopened = await generic({ callId: anna.first, stage: 'IN_PROCESS', status: 'open' });
    expect(((await reopened.json()) as { leadStatus: string }).leadStatus).to.equal('open');
    expect((await lead(anna.leadId)).status).to.equal('open');
    // The amount without a currency is in the site's.
    await generic({ callId: anna.first, stage: 'WON', status: 'won', amount: 20000 });
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'won', amount: 20000, currency: 'RUB' });
    const conversions = await t.db.knex('conversions').where({ lead_id: anna.leadId, sink_id: sinks.webhook!.id });
    expect(conversions.map((c) => c.stage).sort()).to.deep.equal(['IN_PROCESS', 'LOSE', 'WON']);
  });

  it('refuses an amount in another currency with 422 and changes nothing', async () => {
    const before = await lead(boris.leadId);
    const res = await generic({ callId: boris.first, stage: 'WON', status: 'won', amount: 100, currency: 'USD' });
    expect(res.status).to.equal(422);
    const err = (await res.json()) as { name: string; details: { path: string }[] };
    expect(err.name).to.equal('UnprocessableEntityError');
    expect(err.details[0]!.path).to.equal('body/currency');
    expect(await lead(boris.leadId)).to.deep.equal(before);
    expect(await t.db.knex('conversions').where({ lead_id: boris.leadId })).to.have.length(0);
    expect((await generic({ callId: boris.first, stage: 'WON', status: 'won', amount: 1 }, 'ctf_wrong')).status).to.equal(401);
  });

  it("RetailCRM: the order's status maps per the sink config, totalSumm is the amount; foreign orders are ignored", async () => {
    const order = retail.orders.get(boris.first)!;
    const won = await retailStatus({ id: String(order.id), status: 'paid', totalSumm: '12500.50', site: 'main-site' });
    expect(won.status).to.equal(200);
    expect(await won.json()).to.deep.equal({ matched: true, leadId: boris.leadId, leadStatus: 'won' });
    expect(await lead(boris.leadId)).to.deep.equal({ status: 'won', amount: 12500.5, currency: 'RUB' });
    // By our externalId (the lead's first call) as well.
    await retailStatus({ externalId: boris.first, status: 'cancel-other', totalSumm: '0' });
    expect((await lead(boris.leadId)).status).to.equal('lost');
    await retailStatus({ externalId: boris.first, status: 'assembling' });
    expect((await lead(boris.leadId)).status, 'a status in no list reopens').to.equal('open');
    expect((await retailStatus({ externalId: boris.first, status: 'complete', totalSumm: '10', currency: 'EUR' })).status).to.equal(422);
    expect((await lead(boris.leadId)).status).to.equal('open');
    const foreign = await retailStatus({ id: '999999', status: 'complete', totalSumm: '10' });
    expect(await foreign.json()).to.deep.equal({ matched: false, leadId: null, leadStatus: null });
    expect((await retailStatus({ externalId: boris.first, status: 'complete' }, 'ctf_wrong')).status).to.equal(401);
    expect((await retailStatus({ externalId: boris.first, status: 'complete', totalSumm: 'lots' })).status).to.equal(400);
    expect((await retailStatus({ totalSumm: '1' })).status).to.equal(400);
  });

  it('Bitrix24: ONCRMLEADUPDATE / ONCRMDEALUPDATE are read back and mapped; a deal counts for the lead it came from', async () => {
    const b24Lead = [...b24.leads.entries()].find(([, l]) => l.ORIGIN_ID === anna.first)![0];
    Object.assign(b24.leads.get(b24Lead)!, { STATUS_ID: 'CONVERTED', STATUS_SEMANTIC_ID: 'S', OPPORTUNITY: '9900.00', CURRENCY_ID: 'RUB' });
    const won = await b24Event('ONCRMLEADUPDATE', b24Lead);
    expect(won.status).to.equal(200);
    expect(await won.json()).to.deep.equal({ matched: true, leadId: anna.leadId, leadStatus: 'won' });
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'won', amount: 9900, currency: 'RUB' });
    // The converted lead's deal, in pipeline 1, lost; then won with the final amount.
    b24.deals.set(501, { LEAD_ID: String(b24Lead), STAGE_ID: 'C1:LOSE', STAGE_SEMANTIC_ID: 'F', OPPORTUNITY: '0', CURRENCY_ID: 'RUB' });
    await b24Event('ONCRMDEALUPDATE', 501);
    expect((await lead(anna.leadId)).status).to.equal('lost');
    Object.assign(b24.deals.get(501)!, { STAGE_ID: 'C1:WON', STAGE_SEMANTIC_ID: 'S', OPPORTUNITY: '31000' });
    await b24Event('ONCRMDEALUPDATE', 501);
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'won', amount: 31000, currency: 'RUB' });
    const reads = b24.requests.filter((r) => /crm\.(lead|deal)\.get\.json$/.test(r.path)).map((r) => JSON.parse(r.body) as { id: string });
    expect(reads.map((r) => String(r.id))).to.deep.equal([String(b24Lead), '501', '501']);
    // In another currency: refused.
    Object.assign(b24.deals.get(501)!, { CURRENCY_ID: 'USD' });
    expect((await b24Event('ONCRMDEALUPDATE', 501)).status).to.equal(422);
    // A deal not from one of our leads, an unknown id, a wrong token, a malformed event.
    b24.deals.set(502, { LEAD_ID: null, STAGE_ID: 'WON', STAGE_SEMANTIC_ID: 'S', OPPORTUNITY: '5', CURRENCY_ID: 'RUB' });
    expect(await (await b24Event('ONCRMDEALUPDATE', 502)).json()).to.include({ matched: false });
    expect(await (await b24Event('ONCRMDEALUPDATE', 777)).json()).to.include({ matched: false });
    expect((await b24Event('ONCRMDEALUPDATE', 501, 'wrong-token-0000')).status).to.equal(401);
    expect((await b24Event('ONCRMCONTACTUPDATE', 501)).status).to.equal(400);
    expect((await form(`/v1/crm-feedback/${sinks.bitrix24!.id}/bitrix24`, { event: 'ONCRMDEALUPDATE' })).status).to.equal(400);
    expect(await lead(anna.leadId)).to.deep.equal({ status: 'won', amount: 31000, currency: 'RUB' });
  });

  it('maps Bitrix24 stages listed in the sink config before the semantics', async () => {
    const res = await gw.api(
      `/v1/sites/${(await t.db.knex('crm_sinks').where({ id: sinks.bitrix24!.id }).first()).site_id}/crm-sinks/${sinks.bitrix24!.id}`,
      {
        method: 'PATCH',
        json: { config: { wonDealStages: ['C1:PREPAID'], lostDealStages: ['C1:LOSE'] } },
      },
    );
    expect(res.status).to.equal(200);
    await new Promise((r) => setTimeout(r, 50));
    Object.assign(b24.deals.get(501)!, { STAGE_ID: 'C1:PREPAID', STAGE_SEMANTIC_ID: 'P', OPPORTUNITY: '15000', CURRENCY_ID: 'RUB' });
    expect(await (await b24Event('ONCRMDEALUPDATE', 501)).json()).to.include({ leadStatus: 'won' });
    Object.assign(b24.deals.get(501)!, { STAGE_ID: 'C1:WON', STAGE_SEMANTIC_ID: 'S' });
    expect(await (await b24Event('ONCRMDEALUPDATE', 501)).json(), 'a list given: unlisted stages are open').to.include({ leadStatus: 'open' });
  });
});
