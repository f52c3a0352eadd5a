import { expect } from 'chai';
import { signWebhook, verifyWebhook } from '../../adapters/crm/standard-webhooks.js';
import type { CallChange } from '../calls/call-change-hook.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { anAttributedCall, endCall, storeRecording } from '../../../test/factories/calls.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn, StandInRequest } from '../../../test/stand-ins/http-stand-in.js';

const SITE_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ENV_SECRET = 'whsec_dGVzdC1lbnYtc2VjcmV0LTAxMjM0NTY3';

interface Event {
  type: string;
  data: { call_id: string; recording_url: string | null; caller: string; attribution: Record<string, string | null> };
}

describe('leads: call changes become signed webhook deliveries, once per event', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let siteHook: StandIn;
  let envHook: StandIn;
  let siteId: string;
  let sinkId: string;
  let feedbackToken: string;
  let gone = false;

  const events = (s: StandIn) => s.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body) as Event);
  const verified = (r: StandInRequest, secret: string) =>
    verifyWebhook(
      secret,
      {
        id: r.headers['webhook-id'] as string,
        timestamp: r.headers['webhook-timestamp'] as string,
        signature: r.headers['webhook-signature'] as string,
      },
      r.body,
      Date.now(),
    );

  before(async () => {
    siteHook = await startStandIn(() => (gone ? { status: 410 } : { status: 200, json: { ok: true } }));
    envHook = await startStandIn(() => ({ status: 204 }));
    gw = await startTestGateway(t.db, { config: createTestConfig({ leads: { webhook: { url: `${envHook.url}/leads`, secret: ENV_SECRET } } }) });
    const site = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', settings: { currency: 'RUB' } } });
    siteId = ((await site.json()) as { id: string }).id;
    const res = await gw.api(`/v1/sites/${siteId}/crm-sinks`, {
      method: 'POST',
      json: {
        kind: 'webhook',
        name: 'Site hook',
        config: { url: `${siteHook.url}/hook` },
        secrets: { secret: SITE_SECRET },
        deliverOn: ['call.started', 'call.ended', 'recording.ready'],
      },
    });
    expect(res.status).to.equal(201);
    const created = (await res.json()) as { sink: { id: string; hasSecrets: boolean }; feedbackToken: string };
    sinkId = created.sink.id;
    feedbackToken = created.feedbackToken;
    expect(created.sink.hasSecrets).to.equal(true);
  });

  after(async () => {
    await gw?.stop();
    await siteHook?.close();
    await envHook?.close();
  });

  const change = (callId: string, trigger: CallChange['trigger']) =>
    t.db.knex.transaction((trx) => gw.container.callChangeHook.onCallChange(trx, { accountId: gw.accountId, callId, siteId, trigger }));

  it('never returns or stores secrets in clear', async () => {
    const res = await gw.api(`/v1/sites/${siteId}/crm-sinks/${sinkId}`);
    const text = await res.text();
    expect(text).to.not.contain(SITE_SECRET);
    expect(text).to.not.contain('secrets');
    const row = (await t.db.knex('crm_sinks').where({ id: sinkId }).first()) as { secrets_sealed: string };
    expect(row.secrets_sealed).to.not.contain('MfKQ9r8');
  });

  it('documents the sink, outbox and feedback operations in the OpenAPI document', async () => {
    const doc = (await gw.api('/v1/openapi.json').then((r) => r.json())) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths).to.include.keys(
      '/v1/sites/{siteId}/crm-sinks',
      '/v1/outbox',
      '/v1/outbox/{id}/retry',
      '/v1/outbox/replay',
      '/v1/crm-feedback/{sinkId}',
    );
    expect(doc.components.schemas).to.include.keys('CrmSink', 'OutboxMessage', 'CrmFeedbackRequest');
  });

  it('rejects settings a sink kind cannot use', async () => {
    const res = await gw.api(`/v1/sites/${siteId}/crm-sinks`, {
      method: 'POST',
      json: { kind: 'retailcrm', name: 'x', config: { baseUrl: 'https://demo.retailcrm.ru' }, secrets: { apiKey: 'k' } },
    });
    expect(res.status).to.equal(400);
  });

  it('delivers start, end and recording to the site sink and the env sink, updating one lead', async () => {
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    await change(callId, 'call.started');
    await endCall(t.db.knex, callId);
    await change(callId, 'call.ended');
    await change(callId, 'call.ended'); // the same event twice: one delivery
    await storeRecording(t.db.knex, gw.accountId, callId);
    await change(callId, 'recording.ready');

    await waitUntil(() => siteHook.requests.length >= 3 && envHook.requests.length >= 3, 20_000, 'three deliveries to each endpoint');
    const site = events(siteHook);
    expect(site.map((e) => e.type)).to.deep.equal(['call.started', 'call.completed', 'call.recording_ready']);
    expect(site.every((e) => e.data.call_id === callId)).to.equal(true);
    expect(site[0]!.data.attribution).to.include({ utm_source: 'yandex', utm_medium: 'cpc', utm_term: 'купить диван', channel: 'paid_search' });
    expect(site[0]!.data.attribution.landing_page).to.equal('https://shop.example.com/sofas?utm_source=yandex');
    // A signed, expiring link a CRM user can play without a console login.
    expect(site[2]!.data.recording_url).to.match(/\/v1\/recordings\/[0-9A-Z]{26}\/audio\?exp=\d+&sig=[\w-]+$/);
    expect(siteHook.requests.every((r) => verified(r, SITE_SECRET))).to.equal(true);
    expect(envHook.requests.every((r) => verified(r, ENV_SECRET))).to.equal(true);
    const ids = siteHook.requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).to.equal(3);

    const leads = await t.db.knex('crm_leads').where({ call_id: callId });
    expect(leads).to.have.length(2);
  });

  it('writes nothing when the call change rolls back', async () => {
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    await t.db.knex
      .transaction(async (trx) => {
        await gw.container.callChangeHook.onCallChange(trx, { accountId: gw.accountId, callId, siteId, trigger: 'call.started' });
        throw new Error('the call change failed');
      })
      .catch(() => undefined);
    expect(await t.db.knex('outbox').where({ aggregate_id: callId })).to.have.length(0);
  });

  it('lists, inspects, retries and replays deliveries through the admin API', async () => {
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    await endCall(t.db.knex, callId);
    gone = true;
    await change(callId, 'call.ended');
    await waitUntil(
      async () => ((await gw.api(`/v1/sites/${siteId}/crm-sinks/${sinkId}`).then((r) => r.json())) as { status: string }).status === 'disabled',
      20_000,
      'the 410 to disable the sink',
    );
    const list = (await gw.api(`/v1/outbox?callId=${callId}&sinkId=${sinkId}`).then((r) => r.json())) as {
      items: { id: string; status: string; lastError: string }[];
    };
    expect(list.items).to.have.length(1);
    const dead = list.items[0]!;
    await waitUntil(
      async () => ((await gw.api(`/v1/outbox/${dead.id}`).then((r) => r.json())) as { status: string }).status === 'dead',
      10_000,
      'the row to die',
    );
    const inspected = (await gw.api(`/v1/outbox/${dead.id}`).then((r) => r.json())) as { lastError: string };
    expect(inspected.lastError).to.contain('410');

    gone = false;
    const before = siteHook.requests.length;
    expect((await gw.api(`/v1/sites/${siteId}/crm-sinks/${sinkId}`, { method: 'PATCH', json: { status: 'active' } })).status).to.equal(200);
    expect((await gw.api(`/v1/outbox/${dead.id}/retry`, { method: 'POST' })).status).to.equal(200);
    await waitUntil(() => siteHook.requests.length > before, 10_000, 'the retried delivery');
    await waitUntil(
      async () => ((await gw.api(`/v1/outbox/${dead.id}`).then((r) => r.json())) as { status: string }).status === 'delivered',
      10_000,
      'delivered',
    );
    expect((await gw.api(`/v1/outbox/${dead.id}/retry`, { method: 'POST' })).status).to.equal(409);

    const replay = await gw.api('/v1/outbox/replay', { method: 'POST', json: { callId, sinkId } });
    expect(((await replay.json()) as { replayed: number }).replayed).to.equal(1);
    await waitUntil(() => siteHook.requests.length > before + 1, 10_000, 'the replayed delivery');
    const again = siteHook.requests.slice(-2).map((r) => r.headers['webhook-id']);
    expect(again[0]).to.equal(again[1]);
    expect((await gw.api('/v1/outbox/replay', { method: 'POST', json: {} })).status).to.equal(400);
  });

  it('stores CRM feedback as conversions, idempotently, with a token or a signature', async () => {
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    await endCall(t.db.knex, callId);
    await change(callId, 'call.ended');
    await waitUntil(async () => (await t.db.knex('crm_leads').where({ call_id: callId, sink_id: sinkId })).length === 1, 10_000, 'the lead');

    const post = (body: unknown, headers: Record<string, string>) =>
      fetch(`${gw.baseUrl}/v1/crm-feedback/${sinkId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const won = { callId, stage: 'WON', status: 'won', amount: 15000, currency: 'RUB' };
    const first = await post(won, { authorization: `Bearer ${feedbackToken}` });
    expect(first.status).to.equal(200);
    expect(((await first.json()) as { created: boolean }).created).to.equal(true);
    const second = await post({ ...won, amount: 16000 }, { authorization: `Bearer ${feedbackToken}` });
    expect(((await second.json()) as { created: boolean }).created).to.equal(false);
    const rows = await t.db.knex('conversions').where({ call_id: callId });
    expect(rows).to.have.length(1);
    expect(Number(rows[0].revenue)).to.equal(16000);

    expect((await post(won, { authorization: 'Bearer ctf_wrong' })).status).to.equal(401);
    expect((await post(won, {})).status).to.equal(401);

    const body = JSON.stringify({ callId, stage: 'LOSE', status: 'lost' });
    const ts = Math.floor(Date.now() / 1000);
    const signed = await fetch(`${gw.baseUrl}/v1/crm-feedback/${sinkId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_fb1',
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(SITE_SECRET, 'msg_fb1', ts, body),
      },
      body,
    });
    expect(signed.status).to.equal(200);
    const unknown = await post({ callId: 'nope', stage: 'WON', status: 'won' }, { authorization: `Bearer ${feedbackToken}` });
    expect(unknown.status).to.equal(404);
  });
});
