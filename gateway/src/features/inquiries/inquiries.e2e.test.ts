import { expect } from 'chai';
import type { CallEvent } from '../calls/call-events.js';
import { seedChannel, seedNumber, seedPool, seedSession } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startAmoCrmStandIn } from '../../../test/stand-ins/amocrm-stand-in.js';
import { startBitrix24StandIn } from '../../../test/stand-ins/bitrix24-stand-in.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { startRetailCrmStandIn } from '../../../test/stand-ins/retailcrm-stand-in.js';
import { newId } from '../../shared/ids.js';
import { signInquiry } from './inquiry-signature.js';

const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RETAIL_KEY = 'retail-test-key-0001';
const AMO_TOKEN = 'amo-token-000000001';
const TRACKING = '+74951230077';

interface HookEvent {
  type: string;
  data: Record<string, unknown> & { attribution: Record<string, unknown> };
}

/** Forms through the signed endpoint and the widget path, one lead with a later call, every CRM in its own shape. */
describe('inquiries: signed and widget forms, one lead with a call, CRM delivery, the list by kind', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let hook: StandIn;
  let retail: Awaited<ReturnType<typeof startRetailCrmStandIn>>;
  let b24: Awaited<ReturnType<typeof startBitrix24StandIn>>;
  let amo: Awaited<ReturnType<typeof startAmoCrmStandIn>>;
  let siteId: string;
  let siteKey: string;
  let secret: string;
  let channelId: string;

  const signed = (body: unknown, o: { ts?: number; secret?: string; sig?: string } = {}) => {
    const raw = JSON.stringify(body);
    const ts = o.ts ?? Math.floor(Date.now() / 1000);
    const sig = o.sig ?? signInquiry(o.secret ?? secret, ts, raw);
    return fetch(`${gw.baseUrl}/v1/sites/${siteId}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dni-timestamp': String(ts), 'x-dni-signature': sig },
      body: raw,
    });
  };
  const fromPage = (body: Record<string, unknown>, origin = 'https://shop.example') =>
    fetch(`${gw.baseUrl}/v1/sites/${siteKey}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin },
      body: JSON.stringify(body),
    });
  const settled = () =>
    waitUntil(
      async () =>
        Number(((await t.db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
      30_000,
      'every delivery settled',
    ).catch(async (err: unknown) => {
      const open = await t.db
        .knex('outbox')
        .whereIn('status', ['pending', 'delivering', 'dead'])
        .select('status', 'attempts', 'last_error', 'payload');
      throw new Error(`${String(err)}: ${JSON.stringify(open).slice(0, 1500)}`);
    });
  const ring = async (caller: string, startedAt: Date): Promise<string> => {
    const sid = `CA${newId()}`;
    const base = { provider: 'twilio' as const, providerCallId: sid };
    const events: CallEvent[] = [
      { ...base, type: 'call.ringing', eventKey: `${sid}:ringing`, occurredAt: startedAt, trackingNumber: TRACKING, caller },
      { ...base, type: 'call.answered', eventKey: `${sid}:answered`, occurredAt: new Date(startedAt.getTime() + 4_000), answeredBy: 'human' },
      { ...base, type: 'call.ended', eventKey: `${sid}:ended`, occurredAt: new Date(startedAt.getTime() + 64_000), outcome: 'completed' },
    ];
    for (const e of events) await gw.container.services.calls.apply(e);
    return ((await t.db.knex('calls').where({ provider_call_id: sid }).first()) as { id: string }).id;
  };

  before(async () => {
    hook = await startStandIn(() => ({ status: 204 }));
    retail = await startRetailCrmStandIn(RETAIL_KEY);
    b24 = await startBitrix24StandIn({ user: '1', code: 'formcode', appToken: 'unused-app-token' });
    amo = await startAmoCrmStandIn(AMO_TOKEN);
    gw = await startTestGateway(t.db, { config: createTestConfig({ log: { level: 'error', pretty: false } }) });
    const site = await gw.api('/v1/sites', {
      method: 'POST',
      json: { name: 'Shop', domains: ['shop.example'], settings: { country: 'RU', locale: 'ru', leadWindowHours: 24 } },
    });
    expect(site.status).to.equal(201);
    ({ id: siteId, publicKey: siteKey } = (await site.json()) as { id: string; publicKey: string });
    channelId = await seedChannel(t.db.knex, gw.accountId, siteId, 'Google Ads');
    const poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'static', channelId });
    await seedNumber(t.db.knex, gw.accountId, { e164: TRACKING, siteId, poolId, forwardTo: '+74950000000' });
    const s = await gw.api(`/v1/sites/${siteId}/inquiry-settings`, {
      method: 'PATCH',
      json: { forms: { enabled: true, perAddressPerHour: 3, perSitePerMinute: 30, minSecondsOnPage: 3 } },
    });
    expect(s.status).to.equal(200);
    secret = ((await s.json()) as { signingSecret: string }).signingSecret;
    expect(secret).to.match(/^isk_/);
    const deliverOn = ['call.started', 'call.ended'];
    const sinks = [
      { kind: 'webhook', name: 'Hook', config: { url: `${hook.url}/hook` }, secrets: { secret: HOOK_SECRET }, deliverOn },
      { kind: 'retailcrm', name: 'Retail', config: { baseUrl: retail.url, site: 'main-site' }, secrets: { apiKey: RETAIL_KEY }, deliverOn },
      { kind: 'bitrix24', name: 'B24', config: {}, secrets: { webhookUrl: `${b24.url}/rest/1/formcode/` }, deliverOn },
      { kind: 'amocrm', name: 'Amo', config: { baseUrl: amo.url }, secrets: { accessToken: AMO_TOKEN }, deliverOn },
    ];
    for (const sk of sinks) expect((await gw.api(`/v1/sites/${siteId}/crm-sinks`, { method: 'POST', json: sk })).status).to.equal(201);
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([hook?.close(), retail?.close(), b24?.close(), amo?.close()]);
  });

  it('takes a well-signed request once, refuses a bad, a stale and a replayed signature', async () => {
    const body = { externalId: 'order-form-1', phone: '8 (916) 555-01-01', name: 'Анна', message: 'Перезвоните', subject: 'Contact us' };
    const good = await signed(body);
    expect(good.status, await good.clone().text()).to.equal(201);
    const stored = (await good.json()) as { id: string; status: string; leadId: string };
    expect(stored.status).to.equal('received');
    const row = (await t.db.knex('inquiries').where({ id: stored.id }).first()) as Record<string, unknown>;
    // National format read with the site's country, through the same library as calls.
    expect(row).to.include({ phone: '+79165550101', kind: 'form', origin: 'server', lead_id: stored.leadId });

    const ts = Math.floor(Date.now() / 1000);
    const raw = JSON.stringify(body);
    const bad = await signed(body, { secret: 'isk_not-the-secret' });
    expect(bad.status).to.equal(401);
    expect(((await bad.json()) as { name: string }).name).to.equal('UnauthorizedError');
    const stale = await signed(body, { ts: ts - 3600 });
    expect(stale.status).to.equal(401);
    const tampered = await fetch(`${gw.baseUrl}/v1/sites/${siteId}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dni-timestamp': String(ts), 'x-dni-signature': signInquiry(secret, ts, raw) },
      body: raw.replace('Анна', 'Борис'),
    });
    expect(tampered.status).to.equal(401);
    const once = { ...body, externalId: 'order-form-2', phone: '+79165550102' };
    const sig = signInquiry(secret, ts, JSON.stringify(once));
    expect((await signed(once, { ts, sig })).status).to.equal(201);
    const replay = await signed(once, { ts, sig });
    expect(replay.status).to.equal(401);
    expect(((await replay.json()) as { message: string }).message).to.match(/replay/);
    // A resubmission (signed anew: another timestamp, so another signature; same externalId) is the same inquiry.
    const again = await signed(body, { ts: ts + 1 });
    expect(again.status).to.equal(200);
    expect(((await again.json()) as { id: string; status: string }).id).to.equal(stored.id);
    expect(await t.db.knex('inquiries').whereIn('external_key', ['order-form-1', 'order-form-2'])).to.have.length(2);
    const broken = await fetch(`${gw.baseUrl}/v1/sites/${siteId}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dni-timestamp': String(ts), 'x-dni-signature': 'sha256=00' },
      body: '{"phone": ',
    });
    expect(broken.status).to.equal(400);
  });

  it('a widget form is attributed to its visit; honeypot and too-fast submissions are dropped; rates are limited', async () => {
    const { sessionId } = await seedSession(t.db.knex, gw.accountId, siteId, { channelId });
    const r = await fromPage({ sessionId, email: 'Boris@Example.COM ', name: 'Boris', secondsOnPage: 12, pageUrl: 'https://shop.example/contact' });
    expect(r.status, await r.clone().text()).to.equal(201);
    expect(r.headers.get('access-control-allow-origin')).to.equal('https://shop.example');
    const id = ((await r.json()) as { id: string }).id;
    const row = (await t.db.knex('inquiries').where({ id }).first()) as Record<string, unknown>;
    expect(row).to.include({ email: 'boris@example.com', session_id: sessionId, channel_id: channelId, origin: 'widget' });

    const before = Number(((await t.db.knex('inquiries').count('* as n').first()) as { n: unknown }).n);
    const trap = await fromPage({ sessionId, email: 'bot@spam.example', honeypot: 'http://spam', secondsOnPage: 30 });
    expect(trap.status).to.equal(202);
    const fast = await fromPage({ sessionId, email: 'bot2@spam.example', secondsOnPage: 0.4 });
    expect(fast.status).to.equal(202);
    expect(Number(((await t.db.knex('inquiries').count('* as n').first()) as { n: unknown }).n)).to.equal(before);

    expect((await fromPage({ email: 'x@y.example', secondsOnPage: 9 }, 'https://evil.example')).status).to.equal(403);
    // Three per address per hour: the fourth from the same phone is refused, another phone still gets through.
    for (let i = 0; i < 3; i++) expect((await fromPage({ phone: '+79160000099', secondsOnPage: 9, message: `#${i}` })).status).to.equal(201);
    const limited = await fromPage({ phone: '8 916 000-00-99', secondsOnPage: 9 });
    expect(limited.status).to.equal(429);
    expect(((await limited.json()) as { name: string }).name).to.equal('TooManyRequestsError');
    expect((await fromPage({ phone: '+79160000098', secondsOnPage: 9 })).status).to.equal(201);
  });

  it('a form then a call from the same phone is one lead: every CRM creates it from the form and updates it for the call', async () => {
    const phone = '+79167770001';
    const { sessionId } = await seedSession(t.db.knex, gw.accountId, siteId, { channelId, utmSource: 'google' });
    const r = await fromPage({ sessionId, phone: '8 916 777-00-01', name: 'Вера', message: 'Диван', subject: 'Заказ', secondsOnPage: 20 });
    expect(r.status).to.equal(201);
    const form = (await r.json()) as { id: string; leadId: string };
    await settled();
    const callId = await ring(phone, new Date(Date.now() + 60_000));
    const call = (await t.db.knex('calls').where({ id: callId }).first()) as { lead_id: string };
    expect(call.lead_id, 'the call joins the lead the form started').to.equal(form.leadId);
    const lead = (await t.db.knex('leads').where({ id: form.leadId }).first()) as Record<string, unknown>;
    expect(lead).to.include({ kind: 'form', contact: phone, first_inquiry_id: form.id, session_id: sessionId });
    expect(Number(lead.inquiries)).to.equal(2);
    await settled();
    const dead = await t.db.knex('outbox').where({ status: 'dead' });
    expect(dead, JSON.stringify(dead.map((d) => d.last_error))).to.have.length(0);

    // Webhook: inquiry.created for the form, then the call's events as lead.updated naming the same lead.
    const events = hook.requests.map((q) => JSON.parse(q.body) as HookEvent);
    const formEvent = events.find((e) => e.data.inquiry_id === form.id)!;
    expect(formEvent.type).to.equal('inquiry.created');
    expect(formEvent.data).to.include({ kind: 'form', phone, lead_id: form.leadId, repeat: false, name: 'Вера' });
    expect(formEvent.data.attribution).to.include({ utm_source: 'google', utm_medium: 'cpc', channel_name: 'Google Ads' });
    expect(events.filter((e) => e.data.call_id === callId).map((e) => [e.type, e.data.lead_id])).to.deep.equal([
      ['lead.updated', form.leadId],
      ['lead.updated', form.leadId],
    ]);

    // RetailCRM: one order (externalId = the form), orderMethod of forms; the call edits it, no second order.
    const order = retail.orders.get(form.id)!;
    expect(order.fields).to.include({ orderMethod: 'landing-page', phone, firstName: 'Вера' });
    expect(order.fields.source).to.deep.include({ source: 'google', medium: 'cpc', campaign: 'spring' });
    expect([...retail.orders.keys()]).to.not.include(callId);
    expect(order.edits.length).to.be.greaterThan(0);

    // Bitrix24: crm.lead.add with SOURCE_ID WEBFORM and ORIGIN_ID = the form; the call updates that lead.
    const [b24Id, b24Lead] = [...b24.leads.entries()].find(([, l]) => l.ORIGIN_ID === form.id)!;
    expect(b24Lead).to.include({ SOURCE_ID: 'WEBFORM', UTM_SOURCE: 'google' });
    expect(b24Lead.TITLE).to.equal('Заявка с сайта от Вера');
    expect([...b24.leads.values()].filter((l) => l.ORIGIN_ID === callId)).to.have.length(0);
    const updates = b24.requests.filter((q) => q.path.endsWith('crm.lead.update.json')).map((q) => JSON.parse(q.body) as { id: unknown });
    expect(updates.some((u) => Number(u.id) === Number(b24Id))).to.equal(true);

    // amoCRM: an incoming lead of the forms category; the call is logged on it, not a second incoming lead.
    const amoForm = amo.forms.find((f) => (f.metadata as { form_id: string }).form_id === `form:${form.id}`)!;
    expect(amoForm).to.be.an('object');
    expect((amoForm.metadata as Record<string, unknown>).visitor_uid).to.equal(sessionId);
    expect(amo.unsorted.filter((u) => (u.metadata as { uniq: string }).uniq === callId)).to.have.length(0);
    expect(amo.calls.map((c) => c.uniq)).to.include(callId);
  });

  it('a form after a call joins the call’s lead and is a note on the CRM records the call made', async () => {
    const phone = '+79167770002';
    const callId = await ring(phone, new Date(Date.now() - 3_600_000));
    await settled();
    const leadId = ((await t.db.knex('calls').where({ id: callId }).first()) as { lead_id: string }).lead_id;
    const r = await signed({ phone, email: 'gleb@example.com', message: 'А ещё кресло' });
    expect(r.status).to.equal(201);
    const form = (await r.json()) as { id: string; leadId: string };
    expect(form.leadId).to.equal(leadId);
    await settled();
    expect(retail.orders.get(callId)!.edits.some((e) => String(e.managerComment).includes('А ещё кресло'))).to.equal(true);
    expect(amo.notes.some((n) => String((n.params as { text: string }).text).includes('А ещё кресло'))).to.equal(true);
    expect(amo.forms.some((f) => (f.metadata as { form_id: string }).form_id === `form:${form.id}`)).to.equal(false);
    const hookEvent = hook.requests.map((q) => JSON.parse(q.body) as HookEvent).find((e) => e.data.inquiry_id === form.id)!;
    expect(hookEvent.data).to.include({ repeat: true, lead_id: leadId, lead_first_inquiry_id: callId });
  });

  it('lists calls and forms in one list, filtered by kind', async () => {
    const all = (await gw.api('/v1/inquiries?limit=200').then((x) => x.json())) as { items: { kind: string; id: string }[] };
    const kinds = new Set(all.items.map((i) => i.kind));
    expect([...kinds].sort()).to.deep.equal(['call', 'form']);
    const forms = (await gw.api('/v1/inquiries?kind=form&limit=200').then((x) => x.json())) as {
      items: { kind: string; channel: { name: string } | null; source: string | null }[];
    };
    expect(forms.items.length).to.be.greaterThan(3);
    expect(forms.items.every((i) => i.kind === 'form')).to.equal(true);
    expect(forms.items.some((i) => i.channel?.name === 'Google Ads' && i.source === 'google')).to.equal(true);
    const calls = (await gw.api('/v1/inquiries?kind=call').then((x) => x.json())) as { items: { kind: string }[] };
    expect(calls.items).to.have.length(2);
    expect((await gw.api('/v1/inquiries?kind=fax')).status).to.equal(400);
    const page = (await gw.api('/v1/inquiries?limit=2').then((x) => x.json())) as { items: { at: string; id: string }[]; nextBefore: string };
    const next = (await gw.api(`/v1/inquiries?limit=2&before=${encodeURIComponent(page.nextBefore)}`).then((x) => x.json())) as {
      items: { at: string; id: string }[];
    };
    expect(next.items.every((i) => i.at <= page.items.at(-1)!.at && !page.items.some((p) => p.id === i.id))).to.equal(true);
  });

  it('shows one form with its fields as submitted, secret fields and card numbers masked, stored and read', async () => {
    const fields = {
      city: 'Москва',
      card_number: '4111 1111 1111 1111',
      'Номер для оплаты': '5500-0000-0000-0004',
      promo: 'SPRING',
      order: '1234567890123',
    };
    const r = await signed({ phone: '+79168880003', name: 'Ольга', subject: 'Оплата', fields });
    expect(r.status, await r.clone().text()).to.equal(201);
    const { id } = (await r.json()) as { id: string };
    const stored = ((await t.db.knex('inquiries').where({ id }).first()) as { fields: Record<string, string> }).fields;
    // Not a Luhn number (the order id) stays; the named card field loses its value; a card number keeps its last four.
    expect(stored).to.deep.equal({
      city: 'Москва',
      card_number: '••••••',
      'Номер для оплаты': '•••••• 0004',
      promo: 'SPRING',
      order: '1234567890123',
    });
    // A row stored before the rule (or by hand) is masked when read.
    await t.db
      .knex('inquiries')
      .where({ id })
      .update({ fields: JSON.stringify({ ...stored, cvv: '123', note: '4111111111111111' }) });
    const res = await gw.api(`/v1/inquiries/${id}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    const detail = (await res.json()) as Record<string, unknown> & { fields: Record<string, string>; lead: { id: string } };
    expect(detail).to.include({ id, kind: 'form', origin: 'server', phone: '+79168880003', name: 'Ольга', subject: 'Оплата', siteId });
    expect(detail.fields).to.include({ cvv: '••••••', note: '•••••• 1111', city: 'Москва' });
    expect(detail.lead.id).to.be.a('string');
    expect((await gw.api('/v1/inquiries/no-such-inquiry')).status).to.equal(404);
  });

  it('the report counts leads by the kind they began with, and filters by kind', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const base = `/v1/reports/summary?siteId=${siteId}&from=${day(-1)}&to=${day(1)}`;
    const res = await gw.api(`${base}&groupBy=kind&lang=ru`);
    expect(res.status, await res.clone().text()).to.equal(200);
    const byKind = (await res.json()) as {
      rows: { key: string; label: string; calls: number; leads: number }[];
      totals: { calls: number; leads: number };
    };
    const leadsOf = async (kind: string) =>
      Number(((await t.db.knex('leads').where({ site_id: siteId, kind }).count('* as n').first()) as { n: unknown }).n);
    const formLeads = await leadsOf('form');
    expect(formLeads).to.be.greaterThan(3);
    const row = (k: string) => byKind.rows.find((r) => r.key === k)!;
    expect(row('form')).to.include({ label: 'Заявки с сайта', calls: 0, leads: formLeads });
    // Two calls: one joined the form's lead, one began its own (the later form joined it).
    expect(row('call')).to.include({ label: 'Звонки', calls: 2, leads: 1 });
    expect(byKind.totals).to.include({ calls: 2, leads: formLeads + 1 });
    const forms = (await gw.api(`${base}&kind=form`).then((x) => x.json())) as { totals: { calls: number; leads: number } };
    expect(forms.totals).to.include({ calls: 0, leads: formLeads });
    const calls = (await gw.api(`${base}&kind=call`).then((x) => x.json())) as { totals: { calls: number; leads: number } };
    expect(calls.totals).to.include({ calls: 2, leads: 1 });
  });
});
