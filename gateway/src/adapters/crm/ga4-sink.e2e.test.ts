import { expect } from 'chai';
import type { CallChange } from '../../features/calls/call-change-hook.js';
import { anAttributedCall } from '../../../test/factories/calls.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { readSharedJson } from '../../../test/helpers/shared-fixtures.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';

interface Mp {
  url: string;
  body: { client_id: string; timestamp_micros: number; events: { name: string; params: Record<string, unknown> }[] };
}
const fixture = readSharedJson<Mp>('crm/analytics/ga4-measurement-protocol.sample.json');

/** The GA4 Measurement Protocol sink through the outbox, against a collector that checks the documented request. */
describe('GA4 Measurement Protocol sink: one generate_lead per lead, shaped like the fixture', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let ga: StandIn;
  let siteId: string;

  before(async () => {
    ga = await startStandIn((r) => {
      // Like the real collector: POST /mp/collect with measurement_id and api_secret in the query, JSON body, 204.
      if (r.method !== 'POST' || r.path !== '/mp/collect') return { status: 404 };
      return { status: 204 };
    });
    gw = await startTestGateway(t.db, { config: createTestConfig({ leads: { requestTimeoutMs: 1_500 } }) });
    const site = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', settings: { currency: 'RUB' } } });
    siteId = ((await site.json()) as { id: string }).id;
    const sink = await gw.api(`/v1/sites/${siteId}/crm-sinks`, {
      method: 'POST',
      json: {
        kind: 'ga4',
        name: 'GA4',
        config: { measurementId: 'G-XXXXXXXXXX', leadValue: 1500, endpoint: ga.url },
        secrets: { apiSecret: 'mp-secret-0123456789' },
        deliverOn: ['call.started', 'call.ended', 'recording.ready'],
      },
    });
    expect(sink.status).to.equal(201);
  });
  after(async () => {
    await gw?.stop();
    await ga?.close();
  });

  const change = (callId: string, trigger: CallChange['trigger']) =>
    t.db.knex.transaction((trx) => gw.container.callChangeHook.onCallChange(trx, { accountId: gw.accountId, callId, siteId, trigger }));
  const settled = () =>
    waitUntil(
      async () =>
        Number(((await t.db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
      20_000,
      'deliveries settled',
    );

  it('sends generate_lead once the first call ended, with the value, currency, client id and session of the visit', async () => {
    // A call an hour ago (GA4 takes events backdated up to 72 h), after a visit that started 5 min before it.
    const startedAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
    const sessionStart = new Date(startedAt.getTime() - 300_000);
    const caller = '+79161113301';
    const { callId, sessionId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId, caller, startedAt });
    await t.db
      .knex('web_sessions')
      .where({ id: sessionId })
      .update({ first_seen_at: sessionStart, client_ids: JSON.stringify({ ga: '1234567890.1700000000', ym: '1700000000123456789' }) });
    await change(callId, 'call.started');
    await settled();
    expect(ga.requests, 'nothing before the call ended').to.have.length(0);
    await t.db
      .knex('calls')
      .where({ id: callId })
      .update({
        status: 'ended',
        outcome: 'completed',
        answered_at: new Date(startedAt.getTime() + 9000),
        ended_at: new Date(startedAt.getTime() + 160_000),
        ring_seconds: 9,
        talk_seconds: 151,
      });
    await change(callId, 'call.ended');
    await change(callId, 'recording.ready');
    // A repeat call of the same customer: the same lead, no second event.
    const repeat = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId, caller, startedAt: new Date(startedAt.getTime() + 600_000) });
    await t.db.knex('calls').where({ id: repeat.callId }).update({ status: 'ended', outcome: 'completed', talk_seconds: 20, ring_seconds: 3 });
    await change(repeat.callId, 'call.ended');
    await settled();
    expect(ga.requests).to.have.length(1);

    const r = ga.requests[0]!;
    const fixtureUrl = new URL(fixture.url);
    expect(r.path).to.equal(fixtureUrl.pathname);
    expect([...r.query.keys()].sort()).to.deep.equal([...fixtureUrl.searchParams.keys()].sort());
    expect(r.query.get('measurement_id')).to.equal('G-XXXXXXXXXX');
    expect(r.query.get('api_secret')).to.equal('mp-secret-0123456789');
    expect(r.headers['content-type']).to.match(/^application\/json/);

    const body = JSON.parse(r.body) as Mp['body'];
    // Field by field against the fixture: the same keys at every level, each with the type the fixture has.
    expect(Object.keys(body).sort()).to.deep.equal(Object.keys(fixture.body).sort());
    expect(body.events).to.have.length(fixture.body.events.length);
    const [event] = body.events;
    const [want] = fixture.body.events;
    expect(event!.name).to.equal(want!.name);
    expect(Object.keys(event!.params).sort()).to.deep.equal(Object.keys(want!.params).sort());
    for (const [k, v] of Object.entries(want!.params)) expect(typeof event!.params[k], k).to.equal(typeof v);
    // The values, from this test's own data.
    expect(body.client_id).to.equal('1234567890.1700000000');
    expect(body.timestamp_micros).to.equal(startedAt.getTime() * 1000);
    expect(event!.params).to.deep.equal({
      currency: 'RUB',
      value: 1500,
      lead_source: 'phone_call',
      session_id: String(sessionStart.getTime() / 1000),
      engagement_time_msec: 1,
      call_id: callId,
      call_duration_s: 151,
      first_time_caller: 1,
    });
  });

  it('does not send a lead’s event again when the collector may have got it (no answer in time): GA4 would count it twice', async () => {
    const startedAt = new Date(Math.floor((Date.now() - 600_000) / 1000) * 1000);
    const { callId, sessionId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId, caller: '+79161113399', startedAt });
    await t.db
      .knex('web_sessions')
      .where({ id: sessionId })
      .update({ client_ids: JSON.stringify({ ga: '555.1700000001' }) });
    await t.db.knex('calls').where({ id: callId }).update({ status: 'ended', outcome: 'completed', talk_seconds: 40, ring_seconds: 2 });
    const before = ga.requests.length;
    ga.queueFaults('timeout');
    await change(callId, 'call.ended');
    await settled();
    // A later event of the same call finds the record and sends nothing either.
    await change(callId, 'recording.ready');
    await settled();
    const sent = ga.requests.slice(before).filter((r) => (JSON.parse(r.body) as Mp['body']).client_id === '555.1700000001');
    expect(sent, 'one request, never repeated').to.have.length(1);
    const row = (await t.db.knex('crm_leads').where({ call_id: callId }).first()) as { details: Record<string, unknown> };
    expect(row.details.sent).to.equal('unknown');
    expect(String(row.details.skipped)).to.match(/^not repeated: .*timed out/);
  });

  it('sends nothing for a call whose visit has no GA client id, and says so on the record', async () => {
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId, startedAt: new Date(Date.now() - 60_000) });
    await t.db.knex('calls').where({ id: callId }).update({ status: 'ended', outcome: 'completed', talk_seconds: 5, ring_seconds: 1 });
    const before = ga.requests.length;
    await change(callId, 'call.ended');
    await settled();
    expect(ga.requests.length).to.equal(before);
    const row = (await t.db.knex('crm_leads').where({ call_id: callId }).first()) as { details: Record<string, unknown> };
    expect(row.details).to.include({ sent: false, skipped: 'no GA client id on the visit' });
  });
});
