import { expect } from 'chai';
import type { CallEvent } from '../calls/call-events.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { seedNumber, seedPool } from '../../../test/helpers/call-fixtures.js';
import { startAmoCrmStandIn } from '../../../test/stand-ins/amocrm-stand-in.js';
import { startBitrix24StandIn } from '../../../test/stand-ins/bitrix24-stand-in.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { startRetailCrmStandIn } from '../../../test/stand-ins/retailcrm-stand-in.js';
import { newId } from '../../shared/ids.js';

const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RETAIL_KEY = 'retail-test-key-0001';
const AMO_TOKEN = 'amo-token-000000001';
const TRACKING = '+74951230000';
const H = 3_600_000;

interface HookEvent {
  type: string;
  data: { call_id: string; call_event: string; lead_id: string; repeat_call: boolean; attribution: Record<string, string | null> };
}

/**
 * One lead per customer, end to end through the call service: calls arrive as the telephony adapters report them, at
 * chosen times, and every CRM sink sees one record per customer lead, updated by repeat calls.
 */
describe('customer leads: repeat calls join the lead, each CRM gets an update, not a second lead', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let hook: StandIn;
  let retail: Awaited<ReturnType<typeof startRetailCrmStandIn>>;
  let b24: Awaited<ReturnType<typeof startBitrix24StandIn>>;
  let amo: Awaited<ReturnType<typeof startAmoCrmStandIn>>;
  let siteId: string;
  const T0 = new Date('2026-11-20T09:00:00Z');
  const at = (hours: number) => new Date(T0.getTime() + hours * H);

  const ring = async (caller: string, startedAt: Date, talkSeconds = 60): Promise<string> => {
    const sid = `CA${newId()}`;
    const base = { provider: 'twilio' as const, providerCallId: sid };
    const events: CallEvent[] = [
      { ...base, type: 'call.ringing', eventKey: `${sid}:ringing`, occurredAt: startedAt, trackingNumber: TRACKING, caller },
      { ...base, type: 'call.answered', eventKey: `${sid}:answered`, occurredAt: new Date(startedAt.getTime() + 5_000), answeredBy: 'human' },
      {
        ...base,
        type: 'call.ended',
        eventKey: `${sid}:ended`,
        occurredAt: new Date(startedAt.getTime() + 5_000 + talkSeconds * 1000),
        outcome: 'completed',
      },
    ];
    for (const e of events) await gw.container.services.calls.apply(e);
    const row = (await t.db.knex('calls').where({ provider_call_id: sid }).first()) as { id: string };
    return row.id;
  };
  const leadOf = async (callId: string) => ((await t.db.knex('calls').where({ id: callId }).first()) as { lead_id: string | null }).lead_id;

  before(async () => {
    hook = await startStandIn(() => ({ status: 204 }));
    retail = await startRetailCrmStandIn(RETAIL_KEY);
    b24 = await startBitrix24StandIn({ user: '1', code: 'leadscode', appToken: 'unused-app-token' });
    amo = await startAmoCrmStandIn(AMO_TOKEN);
    gw = await startTestGateway(t.db, { config: createTestConfig() });
    const site = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', settings: { currency: 'RUB', leadWindowHours: 24 } } });
    expect(site.status).to.equal(201);
    siteId = ((await site.json()) as { id: string }).id;
    const channel = await gw.api('/v1/channels', {
      method: 'POST',
      json: { siteId, name: 'Google Ads', kind: 'paid_search', rules: [{ click_id: 'gclid' }] },
    });
    expect(channel.status).to.equal(201);
    const channelId = ((await channel.json()) as { id: string }).id;
    const poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'static', channelId });
    await seedNumber(t.db.knex, gw.accountId, { e164: TRACKING, siteId, poolId, forwardTo: '+74950000000' });
    const deliverOn = ['call.started', 'call.ended'];
    const sinks = [
      { kind: 'webhook', name: 'Hook', config: { url: `${hook.url}/hook` }, secrets: { secret: HOOK_SECRET }, deliverOn },
      { kind: 'retailcrm', name: 'Retail', config: { baseUrl: retail.url, site: 'main-site' }, secrets: { apiKey: RETAIL_KEY }, deliverOn },
      { kind: 'bitrix24', name: 'B24', config: {}, secrets: { webhookUrl: `${b24.url}/rest/1/leadscode/` }, deliverOn },
      { kind: 'amocrm', name: 'Amo', config: { baseUrl: amo.url }, secrets: { accessToken: AMO_TOKEN }, deliverOn },
    ];
    for (const s of sinks) expect((await gw.api(`/v1/sites/${siteId}/crm-sinks`, { method: 'POST', json: s })).status).to.equal(201);
    await t.db.knex('blocked_callers').insert({ id: newId(), account_id: gw.accountId, site_id: siteId, e164: '+79990000000', reason: 'spam' });
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([hook?.close(), retail?.close(), b24?.close(), amo?.close()]);
  });

  it('groups calls into leads by caller and window, and every sink updates the record of the lead', async () => {
    const anna = '+79161110001';
    const boris = '+79161110002';
    const a1 = await ring(anna, at(0));
    const b1 = await ring(boris, at(1));
    const a2 = await ring(anna, at(3)); // 3 h after Anna's lead started: joins it
    const a3 = await ring(anna, at(23.5)); // still inside 24 h of the lead's start: joins it
    const a4 = await ring(anna, at(24.5)); // 24.5 h after the lead started (1 h after her last call): a new lead
    const spam = await ring('+79990000000', at(2));

    const [la1, lb1, la2, la3, la4, ls] = await Promise.all([a1, b1, a2, a3, a4, spam].map(leadOf));
    expect(la1).to.be.a('string');
    expect(la2).to.equal(la1);
    expect(la3).to.equal(la1);
    expect(la4).to.be.a('string').and.not.equal(la1);
    expect(lb1).to.be.a('string').and.not.equal(la1);
    expect(ls, 'a blocked caller makes no lead').to.equal(null);
    const leads = (await t.db.knex('leads').where({ account_id: gw.accountId }).orderBy('started_at')) as {
      id: string;
      first_inquiry_id: string;
      inquiries: number;
      contact: string;
      status: string;
      kind: string;
    }[];
    expect(leads.map((l) => [l.contact, l.first_inquiry_id, Number(l.inquiries), l.status, l.kind])).to.deep.equal([
      [anna, a1, 3, 'open', 'call'],
      [boris, b1, 1, 'open', 'call'],
      [anna, a4, 1, 'open', 'call'],
    ]);

    // Three leads: three records in every CRM, whatever the number of calls (6 calls x 2 events were enqueued, blocked none).
    await waitUntil(
      async () =>
        Number(((await t.db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
      30_000,
      'every delivery settled',
    );
    const dead = await t.db.knex('outbox').where({ status: 'dead' });
    expect(dead, JSON.stringify(dead.map((d) => d.last_error))).to.have.length(0);
    expect(await t.db.knex('outbox').where({ aggregate_id: la1 })).to.have.length(4 * 3 * 2);

    // Generic webhook: the lead's first call as call events, the repeat calls as lead.updated naming the lead.
    const events = hook.requests.map((r) => JSON.parse(r.body) as HookEvent);
    const ofCall = (id: string) => events.filter((e) => e.data.call_id === id).map((e) => e.type);
    expect(ofCall(a1)).to.deep.equal(['call.started', 'call.completed']);
    expect(ofCall(a2)).to.deep.equal(['lead.updated', 'lead.updated']);
    expect(ofCall(a3)).to.deep.equal(['lead.updated', 'lead.updated']);
    expect(ofCall(a4)).to.deep.equal(['call.started', 'call.completed']);
    expect(events.filter((e) => e.data.call_id === a2).map((e) => e.data.call_event)).to.deep.equal(['call.started', 'call.completed']);
    expect(events.filter((e) => e.data.call_id === a2).every((e) => e.data.lead_id === la1 && e.data.repeat_call)).to.equal(true);
    expect(events.some((e) => e.data.call_id === spam)).to.equal(false);
    // A static Google Ads number, no visit: the channel's name and the source its gclid rule implies.
    const first = events.find((e) => e.data.call_id === a1)!;
    expect(first.data.attribution).to.include({ channel: 'paid_search', channel_name: 'Google Ads', utm_source: 'google', utm_medium: 'cpc' });

    // RetailCRM: one order per lead (externalId = the lead's first call), repeat calls edit that order.
    expect([...retail.orders.keys()].sort()).to.deep.equal([a1, a4, b1].sort());
    const creates = retail.requests.filter((r) => r.path === '/api/v5/orders/create');
    expect(creates).to.have.length(3);
    const annaOrder = retail.orders.get(a1)!;
    expect(annaOrder.fields.source).to.deep.equal({ source: 'google', medium: 'cpc' });
    expect(String(annaOrder.fields.managerComment)).to.contain('Google Ads');
    // a1 ended + a2 started + a2 ended + a3 started + a3 ended: five edits of the one order.
    expect(annaOrder.edits).to.have.length(5);
    expect(retail.requests.filter((r) => r.path.endsWith('/edit')).every((r) => !r.path.includes(a2) && !r.path.includes(a3))).to.equal(true);

    // Bitrix24: one crm.lead.add per lead; repeat calls are crm.lead.update of the lead's record.
    expect(b24.leads.size).to.equal(3);
    const b24Calls = b24.requests.map((r) => ({
      method: /\/([a-z.]+)\.json$/i.exec(r.path)![1]!,
      body: JSON.parse(r.body) as Record<string, unknown>,
    }));
    expect(b24Calls.filter((c) => c.method === 'crm.lead.add')).to.have.length(3);
    const annaB24 = [...b24.leads.entries()].find(([, l]) => l.ORIGIN_ID === a1)![0];
    const updates = b24Calls.filter((c) => c.method === 'crm.lead.update');
    // a1 ended, a2 x2, a3 x2 on Anna's lead; b1 ended and a4 ended on theirs.
    expect(updates.filter((u) => Number(u.body.id) === annaB24)).to.have.length(5);
    expect(String(b24.leads.get(annaB24)!.COMMENTS)).to.contain('Repeat call (3 calls in this lead)');
    expect(b24.leads.get(annaB24)!.SOURCE_DESCRIPTION).to.contain('Google Ads');

    // amoCRM: one incoming lead per customer lead; each repeat call is logged once on it (calls), not a new lead.
    expect(amo.unsorted).to.have.length(3);
    expect(amo.calls.map((c) => c.uniq)).to.deep.equal([a2, a3]);
    expect(amo.calls[0]).to.include({ phone: anna, direction: 'inbound', duration: 60, call_status: 4 });

    // Every CRM record row names its lead.
    const rows = (await t.db.knex('crm_leads').where({ lead_id: la1 })) as { call_id: string }[];
    expect(new Set(rows.map((r) => r.call_id))).to.deep.equal(new Set([a1, a2, a3]));
  });

  it('shows the lead, the channel in words, the source and the duration on GET /v1/calls and the call card', async () => {
    const caller = '+79161110005';
    const c1 = await ring(caller, at(50), 42);
    const c2 = await ring(caller, at(51), 7);
    const leadId = await leadOf(c1);
    const list = (await gw.api(`/v1/calls?leadId=${leadId}`).then((r) => r.json())) as { items: Record<string, unknown>[] };
    expect(list.items.map((c) => c.id)).to.deep.equal([c2, c1]);
    for (const item of list.items) {
      expect(item).to.include({ leadId, source: 'google', medium: 'cpc', campaign: null, keyword: null, landingPage: null });
      expect(item.channel).to.deep.include({ name: 'Google Ads', kind: 'paid_search' });
    }
    // 5 s ringing (answered 5 s after the start) plus the talk time.
    expect(list.items.map((c) => c.durationSeconds)).to.deep.equal([5 + 7, 5 + 42]);
    const card = (await gw.api(`/v1/calls/${c1}`).then((r) => r.json())) as { call: Record<string, unknown> };
    expect(card.call).to.include({ leadId, durationSeconds: 47, source: 'google', medium: 'cpc' });
    const blocked = await ring('+79990000000', at(52));
    const b = (await gw.api(`/v1/calls/${blocked}`).then((r) => r.json())) as { call: Record<string, unknown> };
    expect(b.call).to.include({ leadId: null, blocked: true });
  });

  it('shows the lead of each delivery in the outbox API and filters by lead and by call', async () => {
    const caller = '+79161110003';
    const c1 = await ring(caller, at(100));
    const c2 = await ring(caller, at(101));
    const leadId = await leadOf(c1);
    await waitUntil(
      async () =>
        Number(((await t.db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
      30_000,
      'every delivery settled',
    );
    const byLead = (await gw.api(`/v1/outbox?leadId=${leadId}&limit=100`).then((r) => r.json())) as {
      items: { callId: string; leadId: string; status: string }[];
    };
    expect(byLead.items).to.have.length(4 * 2 * 2);
    expect(byLead.items.every((i) => i.leadId === leadId && i.status === 'delivered')).to.equal(true);
    const byCall = (await gw.api(`/v1/outbox?callId=${c2}&limit=100`).then((r) => r.json())) as { items: { callId: string; leadId: string }[] };
    expect(byCall.items).to.have.length(4 * 2);
    expect(byCall.items.every((i) => i.callId === c2 && i.leadId === leadId)).to.equal(true);
  });

  it('a zero-hour window makes every call a lead of its own', async () => {
    expect((await gw.api(`/v1/sites/${siteId}`, { method: 'PATCH', json: { settings: { leadWindowHours: 0 } } })).status).to.equal(200);
    const caller = '+79161110004';
    const c1 = await ring(caller, at(200));
    const c2 = await ring(caller, at(200.5));
    expect(await leadOf(c1)).to.not.equal(await leadOf(c2));
    expect((await gw.api(`/v1/sites/${siteId}`, { method: 'PATCH', json: { settings: { leadWindowHours: 24 } } })).status).to.equal(200);
  });
});
