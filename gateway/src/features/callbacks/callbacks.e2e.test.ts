import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { LoopbackAmiServer } from '../../../test/helpers/ami-server.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startTwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import type { TwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import type { CallEvent } from '../calls/call-events.js';
import { LeadReadModel } from '../leads/lead-read-model.js';

const BUSINESS = '+74950000001';
const CALLER_ID = '+74951112233';
const sid = (p: string) => p + randomBytes(16).toString('hex');

/** Moscow wall-clock hour now, and an opening that starts two hours later (so "now" is outside it). */
function closedNow(): { days: number[]; from: string; to: string } {
  const h = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
  const from = (h + 2) % 24;
  return {
    days: [1, 2, 3, 4, 5, 6, 7],
    from: `${String(from).padStart(2, '0')}:00`,
    to: from === 23 ? '24:00' : `${String(from + 1).padStart(2, '0')}:00`,
  };
}

describe('callback requests: placed through Twilio REST or AMI Originate within opening hours, queued outside them', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  const creds = { accountSid: sid('AC'), authToken: 'callback-token-0123456789abcdef' };
  // The site's account connects its own Twilio login: its callbacks are placed with it, not the environment's.
  const own = { accountSid: sid('AC'), authToken: 'own-account-token-0123456789ab' };
  let twilio: TwilioStandIn;
  let ami: LoopbackAmiServer;
  let gw: TestGateway;
  let siteId: string;
  let siteKey: string;

  const request = (phone: string) =>
    fetch(`${gw.baseUrl}/v1/sites/${siteKey}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://shop.example' },
      body: JSON.stringify({ kind: 'callback', phone, name: 'Ира', secondsOnPage: 30 }),
    });
  const settings = (callback: Record<string, unknown>) =>
    gw.api(`/v1/sites/${siteId}/inquiry-settings`, { method: 'PATCH', json: { callback } }).then((r) => expect(r.status).to.equal(200));

  before(async () => {
    twilio = await startTwilioStandIn(creds, { logins: [own] });
    ami = await LoopbackAmiServer.start({ username: 'gateway', secret: 'right' });
    gw = await startTestGateway(t.db, {
      config: createTestConfig({
        http: { publicBaseUrl: new URL('https://gw.example.com') },
        twilio: creds,
        asterisk: {
          host: '127.0.0.1',
          port: ami.port,
          username: 'gateway',
          secret: 'right',
          auth: 'plain',
          inboundContexts: ['from-pstn'],
          didSource: 'exten',
          recordingsDir: null,
          recordingsUrl: null,
          defaultCountry: null,
        },
        twilioApi: { baseUrl: new URL(twilio.baseUrl), region: null, edge: null },
      }),
    });
    const res = await gw.api('/v1/sites', {
      method: 'POST',
      json: { name: 'Shop', domains: ['shop.example'], timezone: 'Europe/Moscow', settings: { country: 'RU', locale: 'ru' } },
    });
    ({ id: siteId, publicKey: siteKey } = (await res.json()) as { id: string; publicKey: string });
    await settings({ enabled: true, provider: 'twilio', businessNumber: BUSINESS, callerId: CALLER_ID, hours: [] });
  });
  after(async () => {
    await gw?.stop();
    await twilio?.close();
    await ami?.close();
  });

  it('rings the business through Calls.json (checked against the OpenAPI spec), whispers the visitor, dials them', async () => {
    const r = await request('8 (916) 111-22-33');
    expect(r.status, await r.clone().text()).to.equal(201);
    const body = (await r.json()) as { status: string; id: string; leadId: string; message: string };
    expect(body).to.include({ status: 'placed', message: 'Спасибо! Мы уже звоним вам.' });
    expect(twilio.problems).to.deep.equal([]);
    const create = twilio.requests.find((q) => q.method === 'POST' && /\/Calls\.json$/.test(q.path))!;
    expect(create.operationId).to.equal('CreateCall');
    expect(create.form).to.include({ To: BUSINESS, From: CALLER_ID, StatusCallback: 'https://gw.example.com/v1/telephony/twilio/status' });
    expect(create.form.Twiml).to.match(/<Say language="ru-RU">Заказ обратного звонка с сайта\. Соединяем с номером \+7 916 111 22 33\.<\/Say>/);
    expect(create.form.Twiml).to.match(/<Dial callerId="\+74951112233"[^>]*><Number>\+79161112233<\/Number><\/Dial>/);

    // Tracked like an inbound call, direction "callback", in the request's lead; its progress is applied like any call's.
    const inquiry = (await t.db.knex('inquiries').where({ id: body.id }).first()) as { call_id: string; status: string; lead_id: string };
    expect(inquiry.status).to.equal('placed');
    const call = (await t.db.knex('calls').where({ id: inquiry.call_id }).first()) as Record<string, unknown>;
    expect(call).to.include({ direction: 'callback', caller: '+79161112233', forward_to: BUSINESS, lead_id: body.leadId, status: 'ringing' });
    const base = { provider: 'twilio' as const, providerCallId: String(call.provider_call_id) };
    const at = Date.now();
    const events: CallEvent[] = [
      { ...base, type: 'call.answered', eventKey: `${base.providerCallId}:answered`, occurredAt: new Date(at + 5_000), answeredBy: 'human' },
      { ...base, type: 'call.ended', eventKey: `${base.providerCallId}:ended`, occurredAt: new Date(at + 65_000), outcome: 'completed' },
    ];
    for (const e of events) await gw.container.services.calls.apply(e);
    const ended = (await t.db.knex('calls').where({ id: inquiry.call_id }).first()) as Record<string, unknown>;
    expect(ended).to.include({ status: 'ended', outcome: 'completed', direction: 'callback', lead_id: body.leadId });
    // CRM sinks read the call with its direction (the generic webhook sends it as `direction`).
    // The call card reads it like any call, attributed to the request's visit with certainty.
    const card = await gw.api(`/v1/calls/${inquiry.call_id}`);
    expect(card.status, await card.clone().text()).to.equal(200);
    expect(((await card.json()) as { call: { attribution: { method: string; score: number } } }).call.attribution).to.include({
      method: 'callback',
      score: 1,
    });
    const asLead = await new LeadReadModel(async () => '').get(t.db.knex, String(ended.account_id), inquiry.call_id, 'call.ended');
    expect(asLead).to.include({ direction: 'callback', outcome: 'completed' });
    const list = (await gw.api('/v1/inquiries?kind=callback').then((x) => x.json())) as { items: Record<string, unknown>[] };
    expect(list.items[0]).to.include({ id: body.id, kind: 'callback', status: 'placed', outcome: 'completed', callId: inquiry.call_id });
    const calls = (await gw.api('/v1/inquiries?kind=call').then((x) => x.json())) as { items: unknown[] };
    expect(calls.items, 'a callback is not counted twice as an inbound call').to.have.length(0);
  });

  it('outside the opening hours: queued for the next opening, the visitor is told when, placed by the job then', async () => {
    const hours = closedNow();
    await settings({ hours: [hours] });
    const r = await request('+79162223344');
    const body = (await r.json()) as { status: string; id: string; dueAt: string; message: string };
    expect(body.status).to.equal('queued');
    expect(body.message).to.match(/^Спасибо! Сейчас мы не работаем и перезвоним вам /);
    const due = new Date(body.dueAt);
    expect(due.getTime()).to.be.greaterThan(Date.now() + 60 * 60_000);
    expect(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(due),
    ).to.equal(hours.from);
    const before = twilio.requests.length;
    expect(await gw.container.callbacks.placeDue()).to.equal(0);
    expect(twilio.requests.length).to.equal(before);
    // The opening comes (moved to now): the job places it.
    await t.db
      .knex('inquiries')
      .where({ id: body.id })
      .update({ due_at: new Date(Date.now() - 1000) });
    await settings({ hours: [] });
    expect(await gw.container.callbacks.placeDue()).to.equal(1);
    expect(((await t.db.knex('inquiries').where({ id: body.id }).first()) as { status: string }).status).to.equal('placed');
    expect(twilio.requests.length).to.equal(before + 1);
  });

  it("with the account's own Twilio login connected: authenticated as that account, posted to its Calls.json", async () => {
    const connect = await gw.api('/v1/twilio/credentials', { method: 'PUT', json: own });
    expect(connect.status, await connect.clone().text()).to.equal(200);
    const before = twilio.requests.length;
    const r = await request('+79165556677');
    expect(((await r.json()) as { status: string }).status).to.equal('placed');
    const create = twilio.requests.slice(before).find((q) => q.operationId === 'CreateCall')!;
    expect(create.authenticatedAs).to.equal(own.accountSid);
    expect(create.path).to.equal(`/2010-04-01/Accounts/${own.accountSid}/Calls.json`);
    expect(create.form).to.include({ To: BUSINESS, From: CALLER_ID });
    expect(twilio.problems).to.deep.equal([]);
    const call = (await t.db.knex('calls').where({ caller: '+79165556677' }).first()) as Record<string, unknown>;
    expect(call).to.include({ provider: 'twilio', direction: 'callback' });
  });

  it('through Asterisk: an async Originate over AMI rings the business and continues at the visitor', async () => {
    await settings({ provider: 'asterisk', asteriskContext: 'from-internal', hours: [] });
    const r = await request('+79163334455');
    const body = (await r.json()) as { status: string; id: string };
    expect(body.status).to.equal('placed');
    const originate = ami.actions.find((a) => (a['action'] ?? '').toLowerCase() === 'originate')!;
    expect(originate).to.include({
      channel: 'Local/74950000001@from-internal',
      context: 'from-internal',
      exten: '79163334455',
      priority: '1',
      async: 'true',
      variable: `DNI_CALLBACK=${body.id}`,
    });
    const call = (await t.db.knex('inquiries as i').join('calls as c', 'c.id', 'i.call_id').where('i.id', body.id).first('c.*')) as Record<
      string,
      unknown
    >;
    expect(call).to.include({ provider: 'asterisk', direction: 'callback', provider_call_id: `callback-${body.id}` });
  });
});
