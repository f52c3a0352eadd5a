import { expect } from 'chai';
import { seedChannel, seedLease, seedNumber, seedPool, seedSession, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';
import type { TwilioPoster } from '../../../test/helpers/twilio-webhooks.js';
import type { CallChange, CallChangeHook } from '../calls/call-change-hook.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'f'.repeat(32);
// Twilio signs the URL of the proxy in front of us, not the loopback address the request reaches.
const PUBLIC = 'https://calls.example.com:8443';

interface ApiCall {
  id: string;
  status: string;
  outcome: string | null;
  talkSeconds: number | null;
  ringSeconds: number | null;
  sessionId: string | null;
  channelId: string | null;
  firstTimeCaller: boolean | null;
  blocked: boolean;
  attribution: { method: string; score: number; candidates: { method: string; sessionId: string | null; score: number }[] } | null;
}

describe('Twilio webhooks', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  let tw: TwilioPoster;
  const changes: CallChange[] = [];
  let siteId: string;
  let channelId: string;
  let sessionPool: string;
  const numbers = { session: '+15551230001', static: '+15551230002', unrouted: '+15551230003', moscow: '+74951234561' };
  let sessionNumberId: string;

  // Writes in the transaction it is given, like the leads outbox: a rolled-back change leaves no trace.
  const hook: CallChangeHook = {
    async onCallChange(trx, change) {
      await trx('outbox').insert({
        id: `${change.callId}-${change.trigger}-${changes.length}`,
        account_id: change.accountId,
        topic: change.trigger,
        aggregate_id: change.callId,
        dedupe_key: `${change.callId}:${change.trigger}:${changes.length}`,
        payload: JSON.stringify(change),
      });
      changes.push(change);
    },
  };

  before(async () => {
    const config = createTestConfig({
      http: { publicBaseUrl: new URL(PUBLIC) },
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
    });
    gw = await startTestGateway(t.db, { config, container: { callHooks: [hook] } });
    tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
    const k = t.db.knex;
    siteId = await seedSite(k, gw.accountId, {
      defaultForwardTo: '+15550000001',
      settings: { whisper: true, recordingAnnouncement: 'This call is recorded.' },
    });
    channelId = await seedChannel(k, gw.accountId, siteId, 'Google Ads');
    sessionPool = await seedPool(k, gw.accountId, siteId, { kind: 'session', channelId });
    const staticPool = await seedPool(k, gw.accountId, siteId, { kind: 'static', channelId });
    sessionNumberId = await seedNumber(k, gw.accountId, { e164: numbers.session, siteId, poolId: sessionPool, forwardTo: '+15550000002' });
    await seedNumber(k, gw.accountId, { e164: numbers.static, siteId, poolId: staticPool, forwardTo: '+15550000003' });
    await seedNumber(k, gw.accountId, { e164: numbers.unrouted, siteId, poolId: null, forwardTo: null });
    const moscow = await seedSite(k, gw.accountId, {
      name: 'Москва',
      // No default forward-to: the first site stays the account's fallback.
      defaultForwardTo: null,
      settings: { whisper: true, recordingAnnouncement: 'Звонок записывается.', locale: 'ru', country: 'RU' },
    });
    const yandex = await seedChannel(k, gw.accountId, moscow, 'Яндекс Директ');
    const moscowPool = await seedPool(k, gw.accountId, moscow, { kind: 'static', channelId: yandex });
    await seedNumber(k, gw.accountId, { e164: numbers.moscow, siteId: moscow, poolId: moscowPool, forwardTo: '+74957654322' });
    await gw.container.services.routing.refresh();
  });
  after(() => gw.stop());

  const callRow = (callSid: string) => t.db.knex('calls').where({ provider: 'twilio', provider_call_id: callSid }).first();
  const apiCall = async (callSid: string): Promise<ApiCall> => {
    const row = await eventually(() => callRow(callSid), 10_000, 'the call record');
    return (await (await gw.api(`/v1/calls/${row.id}`)).json()).call as ApiCall;
  };

  it('answers the voice webhook with TwiML that dials the forward-to target, recorded, with whisper and announcement', async () => {
    const callSid = randomSid('CA');
    const res = await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770001', to: numbers.session }));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/xml/);
    const xml = await res.text();
    expect(xml).to.contain('<Say language="en-US" voice="Polly.Joanna">This call is recorded.</Say>');
    expect(xml).to.match(/<Dial [^>]*answerOnBridge="true"/);
    expect(xml).to.match(/<Dial [^>]*callerId="\+15557770001"/);
    expect(xml).to.match(/<Dial [^>]*record="record-from-answer-dual"/);
    expect(xml).to.contain(`action="${PUBLIC}/v1/telephony/twilio/dial-status"`);
    expect(xml).to.contain(`recordingStatusCallback="${PUBLIC}/v1/telephony/twilio/recording"`);
    expect(xml).to.contain('url="https://calls.example.com:8443/v1/telephony/twilio/whisper?text=Call+from+Google+Ads&amp;locale=en"');
    expect(xml).to.match(/<Number [^>]*>\+15550000002<\/Number>/);
    const call = await apiCall(callSid);
    expect(call.status).to.equal('ringing');
    expect(call.firstTimeCaller).to.equal(true);
  });

  it('serves the whisper for the agent (signed, with its query)', async () => {
    const res = await tw.post('whisper', { AccountSid: ACCOUNT_SID, CallSid: randomSid('CA') }, { query: 'text=Call+from+Google+Ads' });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('<Say language="en-US" voice="Polly.Joanna">Call from Google Ads</Say>');
  });

  it('a Russian site: announcement and whisper in Russian, said by a ru-RU voice', async () => {
    const xml = await (
      await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: randomSid('CA'), from: '+79161234567', to: numbers.moscow }))
    ).text();
    expect(xml).to.contain('<Say language="ru-RU" voice="Polly.Tatyana">Звонок записывается.</Say>');
    const whisperUrl = /<Number [^>]*url="([^"]+)"/.exec(xml)?.[1]?.replaceAll('&amp;', '&') ?? '';
    const query = new URL(whisperUrl).searchParams;
    expect(query.get('text')).to.equal('Звонок: Яндекс Директ');
    expect(query.get('locale')).to.equal('ru');
    const whisper = await tw.post('whisper', { AccountSid: ACCOUNT_SID, CallSid: randomSid('CA') }, { query: new URL(whisperUrl).search.slice(1) });
    expect(await whisper.text()).to.contain('<Say language="ru-RU" voice="Polly.Tatyana">Звонок: Яндекс Директ</Say>');
  });

  it('routes an unknown number and a number without forward-to to the site fallback, never silence', async () => {
    const unknown = await (
      await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: randomSid('CA'), from: '+15557770002', to: '+15559990000' }))
    ).text();
    expect(unknown).to.match(/<Number[^>]*>\+15550000001<\/Number>/);
    const unrouted = await (
      await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: randomSid('CA'), from: '+15557770002', to: numbers.unrouted }))
    ).text();
    expect(unrouted).to.match(/<Number[^>]*>\+15550000001<\/Number>/);
  });

  it('says sorry rather than staying silent when there is nowhere to forward', async () => {
    await t.db.knex('sites').where({ id: siteId }).update({ default_forward_to: null });
    await gw.container.services.routing.refresh();
    try {
      const xml = await (
        await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: randomSid('CA'), from: '+15557770002', to: '+15559990001' }))
      ).text();
      expect(xml).to.contain('<Say language="en-US" voice="Polly.Joanna">Sorry, this number cannot take your call right now.');
      expect(xml).to.contain('<Hangup/>');
    } finally {
      await t.db.knex('sites').where({ id: siteId }).update({ default_forward_to: '+15550000001' });
      await gw.container.services.routing.refresh();
    }
  });

  it('refuses bad, missing and foreign signatures, and malformed parameters, with 4xx JSON errors', async () => {
    const params = inboundParams({ accountSid: ACCOUNT_SID, callSid: randomSid('CA'), from: '+15557770003', to: numbers.session });
    const bad = await tw.post('voice', params, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    expect(bad.status).to.equal(403);
    expect(await bad.json()).to.include.keys('id', 'name', 'message', 'details');
    expect((await tw.post('voice', params, { signature: null })).status).to.equal(400);
    // Signed for the loopback URL instead of the public one: a proxy must not be able to change what was signed.
    const loopback = twilioPoster(gw.baseUrl, gw.baseUrl, AUTH_TOKEN);
    expect((await loopback.post('voice', params)).status).to.equal(403);
    const stranger = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
    expect((await stranger.post('voice', { ...params, AccountSid: randomSid('AC') })).status).to.equal(403);
    const { CallSid: _drop, ...noCallSid } = params;
    expect((await tw.post('voice', noCallSid)).status).to.equal(400);
    expect(
      (
        await tw.post('recording', {
          AccountSid: ACCOUNT_SID,
          CallSid: randomSid('CA'),
          RecordingSid: 'nope',
          RecordingUrl: 'x',
          RecordingStatus: 'completed',
        })
      ).status,
    ).to.equal(400);
    const form = await fetch(`${gw.baseUrl}/v1/telephony/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(form.status).to.equal(415);
  });

  it('takes every callback twice and out of order: one call, one answer, one end, one recording', async () => {
    const callSid = randomSid('CA');
    const from = '+15557770004';
    const callbacks = answeredCallCallbacks({
      accountSid: ACCOUNT_SID,
      callSid,
      from,
      to: numbers.session,
      forwardTo: '+15550000002',
      talkSeconds: 42,
    });
    // The parent's final status and the recording arrive before the voice webhook's record is written.
    await tw.post(callbacks[5]!.path, callbacks[5]!.params);
    await tw.post(callbacks[6]!.path, callbacks[6]!.params);
    expect((await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to: numbers.session }))).status).to.equal(200);
    const order = [4, 2, 0, 3, 1, 6, 5, 2, 4, 0, 3, 1, 6, 5];
    for (const i of order) expect((await tw.post(callbacks[i]!.path, callbacks[i]!.params)).status, `callback ${i}`).to.equal(200);
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to: numbers.session }));

    const call = await eventually(async () => {
      const c = await apiCall(callSid);
      return c.status === 'ended' && c.talkSeconds === 42 ? c : null;
    });
    expect(call.outcome).to.equal('completed');
    expect(await t.db.knex('calls').where({ provider_call_id: callSid }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
    expect(await t.db.knex('recordings').where({ call_id: call.id }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
    const card = await (await gw.api(`/v1/calls/${call.id}`)).json();
    expect(card.recordings[0].status).to.equal('pending');
    expect(card.recordings[0].sourceUrl).to.match(/^https:\/\/api\.twilio\.com\//);
    const mine = changes.filter((c) => c.callId === call.id).map((c) => c.trigger);
    expect(mine.sort()).to.deep.equal(['call.answered', 'call.ended', 'call.started']);
    expect(await t.db.knex('outbox').where({ aggregate_id: call.id }).count({ n: '*' }).first()).to.deep.equal({ n: 3 });
  });

  it('answers a replayed callback without touching the database once the first delivery was written', async () => {
    const callSid = randomSid('CA');
    const from = '+15557770044';
    expect((await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to: numbers.session }))).status).to.equal(200);
    await eventually(() => callRow(callSid), 10_000, 'the call record');
    const [, , answered] = answeredCallCallbacks({
      accountSid: ACCOUNT_SID,
      callSid,
      from,
      to: numbers.session,
      forwardTo: '+15550000002',
      talkSeconds: 5,
    });
    expect((await tw.post(answered!.path, answered!.params)).status).to.equal(200);
    await eventually(async () => (await callRow(callSid))?.status === 'answered', 10_000, 'the answer');
    const queries: string[] = [];
    const count = (q: { sql: string }) => queries.push(q.sql);
    t.db.knex.on('query', count);
    try {
      expect((await tw.post(answered!.path, answered!.params)).status).to.equal(200);
      expect((await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to: numbers.session }))).status).to.equal(200);
      await eventually(async () => gw.container.services.callEvents.pending === 0, 10_000, 'no pending writes');
    } finally {
      t.db.knex.off('query', count);
    }
    expect(queries.filter((q) => /call_events|"calls"/.test(q))).to.deep.equal([]);
    expect(await t.db.knex('call_events').where({ provider_call_id: callSid }).count({ n: '*' }).first()).to.deep.equal({ n: 2 });
  });

  it('loses and duplicates nothing when 20 calls arrive at once with every callback twice, in parallel and shuffled', async () => {
    const calls = Array.from({ length: 20 }, (_, i) => ({ callSid: randomSid('CA'), from: `+1555888${String(i).padStart(4, '0')}` }));
    const deliveries: { path: string; params: Record<string, string> }[] = [];
    for (const c of calls) {
      const voice = { path: 'voice', params: inboundParams({ accountSid: ACCOUNT_SID, callSid: c.callSid, from: c.from, to: numbers.session }) };
      const cbs = answeredCallCallbacks({ accountSid: ACCOUNT_SID, ...c, to: numbers.session, forwardTo: '+15550000002', talkSeconds: 7 });
      for (const d of [voice, ...cbs]) deliveries.push(d, d);
    }
    // A fixed shuffle (no randomness in tests): deal the deliveries by a stride coprime with their count.
    const n = deliveries.length;
    const stride = [37, 41, 43, 47].find((p) => n % p !== 0)!;
    const shuffled = deliveries.map((_, i) => deliveries[(i * stride) % n]!);
    const statuses = await Promise.all(shuffled.map((d) => tw.post(d.path, d.params).then((r) => r.status)));
    expect(statuses.every((st) => st === 200)).to.equal(true);
    const sids = calls.map((c) => c.callSid);
    const rows = await eventually(
      async () => {
        const r = await t.db.knex('calls').whereIn('provider_call_id', sids);
        return r.length === calls.length && r.every((x) => x.status === 'ended' && x.talk_seconds === 7) ? r : null;
      },
      20_000,
      'every call ended',
    );
    expect(rows.every((r) => r.outcome === 'completed' && r.answered_at !== null)).to.equal(true);
    const ids = rows.map((r) => r.id as string);
    // A callback answers Twilio after its own write, or after 3 s at the latest: on a loaded machine the last
    // recordings may land just after the calls' ends.
    await eventually(
      async () =>
        Number(((await t.db.knex('recordings').whereIn('call_id', ids).count({ n: '*' }).first()) as { n: number | string }).n) >= calls.length,
      20_000,
      'every recording',
    );
    expect(await t.db.knex('recordings').whereIn('call_id', ids).count({ n: '*' }).first()).to.deep.equal({ n: calls.length });
    const triggers = changes.filter((c) => ids.includes(c.callId));
    expect(triggers.length).to.equal(calls.length * 3);
    expect(await t.db.knex('call_events').whereIn('provider_call_id', sids).whereNull('call_id').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
  });

  it('records a busy business as busy, with no talk time, whatever order the reports come in', async () => {
    const callSid = randomSid('CA');
    const from = '+15557770005';
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to: numbers.session }));
    await apiCall(callSid);
    const parentDone = {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      From: from,
      To: numbers.session,
      CallStatus: 'completed',
      CallDuration: '6',
      SequenceNumber: '0',
    };
    const dialBusy = {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      From: from,
      To: numbers.session,
      CallStatus: 'in-progress',
      DialCallSid: randomSid('CA'),
      DialCallStatus: 'busy',
      DialCallDuration: '0',
    };
    // The parent leg reports "completed" first; the Dial's own "busy" must still win.
    await tw.post('status', parentDone);
    await tw.post('dial-status', dialBusy);
    await tw.post('status', parentDone);
    const call = await eventually(async () => {
      const c = await apiCall(callSid);
      return c.outcome === 'busy' ? c : null;
    });
    expect(call.talkSeconds).to.equal(0);
    expect(call.status).to.equal('ended');
  });

  it('attributes a call to the session holding the number, storing every candidate', async () => {
    const k = t.db.knex;
    const holder = await seedSession(k, gw.accountId, siteId, { channelId });
    const earlier = await seedSession(k, gw.accountId, siteId, { channelId });
    const now = Date.now();
    await seedLease(k, gw.accountId, {
      poolId: sessionPool,
      numberId: sessionNumberId,
      e164: numbers.session,
      ...earlier,
      leasedAt: new Date(now - 3_600_000),
      releasedAt: new Date(now - 600_000),
    });
    await seedLease(k, gw.accountId, {
      poolId: sessionPool,
      numberId: sessionNumberId,
      e164: numbers.session,
      ...holder,
      leasedAt: new Date(now - 300_000),
    });
    const callSid = randomSid('CA');
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770006', to: numbers.session }));
    const call = await eventually(async () => {
      const c = await apiCall(callSid);
      return c.attribution ? c : null;
    });
    expect(call.sessionId).to.equal(holder.sessionId);
    expect(call.attribution!.method).to.equal('lease');
    expect(call.attribution!.score).to.equal(1);
    expect(call.channelId).to.equal(channelId);
    const card = await (await gw.api(`/v1/calls/${call.id}`)).json();
    expect(card.journey.sessionId).to.equal(holder.sessionId);
    expect(card.journey.utm.source).to.equal('google');
    expect(card.journey.landingUrl).to.contain('/landing');

    // A manager re-assigns the call; the candidates stay as evidence.
    const re = await gw.api(`/v1/calls/${call.id}/attribution`, {
      method: 'PUT',
      json: { sessionId: earlier.sessionId, reason: 'customer said so' },
    });
    expect(re.status).to.equal(200);
    const after = (await re.json()) as ApiCall;
    expect(after.sessionId).to.equal(earlier.sessionId);
    expect(after.attribution!.method).to.equal('manual');
    expect(after.attribution!.candidates.length).to.equal(call.attribution!.candidates.length);
    expect(changes.some((c) => c.callId === call.id && c.trigger === 'attribution.changed')).to.equal(true);
    expect((await gw.api(`/v1/calls/${call.id}/attribution`, { method: 'PUT', json: { sessionId: 'nope' } })).status).to.equal(400);
  });

  it('attributes a static number to its channel only', async () => {
    const callSid = randomSid('CA');
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770007', to: numbers.static }));
    const call = await eventually(async () => {
      const c = await apiCall(callSid);
      return c.attribution ? c : null;
    });
    expect(call.attribution!.method).to.equal('channel');
    expect(call.sessionId).to.equal(null);
    expect(call.channelId).to.equal(channelId);
  });

  it('flags repeat callers and refuses blocked ones politely while still logging them', async () => {
    const from = '+15557770008';
    const first = randomSid('CA');
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: first, from, to: numbers.session }));
    expect((await apiCall(first)).firstTimeCaller).to.equal(true);
    const second = randomSid('CA');
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: second, from, to: numbers.session }));
    expect((await apiCall(second)).firstTimeCaller).to.equal(false);

    const block = await gw.api(`/v1/sites/${siteId}/blocked-callers`, { method: 'POST', json: { e164: from, reason: 'spam' } });
    expect(block.status).to.equal(201);
    const third = randomSid('CA');
    const xml = await (await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: third, from, to: numbers.session }))).text();
    expect(xml).to.contain('<Reject reason="busy"/>');
    const blocked = await apiCall(third);
    expect(blocked.blocked).to.equal(true);
    expect(
      changes.some((c) => c.callId === blocked.id),
      'a blocked call is not a lead',
    ).to.equal(false);
    expect((await gw.api(`/v1/sites/${siteId}/blocked-callers/${encodeURIComponent(from)}`, { method: 'DELETE' })).status).to.equal(204);
    const fourthSid = randomSid('CA');
    const fourth = await (await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: fourthSid, from, to: numbers.session }))).text();
    await apiCall(fourthSid);
    expect(fourth).to.contain('<Dial');
  });

  it('lists calls with filters and pages through them', async () => {
    const all = await (await gw.api('/v1/calls?limit=200')).json();
    expect(all.items.length).to.be.greaterThan(5);
    const busy = await (await gw.api('/v1/calls?outcome=busy')).json();
    expect(busy.items.every((c: ApiCall) => c.outcome === 'busy')).to.equal(true);
    expect(busy.items.length).to.equal(1);
    const firstTimers = await (await gw.api(`/v1/calls?firstTime=false&caller=${encodeURIComponent('+15557770008')}`)).json();
    expect(firstTimers.items.length).to.be.greaterThan(0);
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page: { items: ApiCall[]; nextCursor: string | null } = await (
        await gw.api(`/v1/calls?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      for (const c of page.items) {
        expect(seen.has(c.id)).to.equal(false);
        seen.add(c.id);
      }
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen.size).to.equal(all.items.length);
    expect((await gw.api('/v1/calls?cursor=garbage')).status).to.equal(400);
    expect((await gw.api(`/v1/calls?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).status).to.equal(200);
  });

  it('parks a callback whose call never rang, and purges it later', async () => {
    const callSid = randomSid('CA');
    await tw.post('status', { AccountSid: ACCOUNT_SID, CallSid: callSid, CallStatus: 'completed', From: '+15557770999', To: numbers.session });
    expect(await t.db.knex('call_events').where({ provider_call_id: callSid }).whereNull('call_id').count({ n: '*' }).first()).to.deep.equal({
      n: 1,
    });
    expect(await gw.container.services.calls.purgeOrphanEvents(0)).to.be.greaterThan(0);
    expect(await t.db.knex('call_events').where({ provider_call_id: callSid }).count({ n: '*' }).first()).to.deep.equal({ n: 0 });
  });

  it('gives a call to an unknown number a channel-only attribution', async () => {
    const callSid = randomSid('CA');
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770998', to: '+15559990555' }));
    const call = await apiCall(callSid);
    expect(call.attribution!.method).to.equal('channel');
    expect(call.sessionId).to.equal(null);
  });

  it('counts answers, refusals and pending writes in the metrics', async () => {
    const text = await (await fetch(`${gw.baseUrl}/metrics`)).text();
    expect(text).to.match(/gateway_twilio_voice_answers_total\{decision="dial"\} [1-9]/);
    expect(text).to.match(/gateway_twilio_voice_answers_total\{decision="reject"\} [1-9]/);
    expect(text).to.match(/gateway_twilio_webhooks_refused_total\{reason="signature"\} [1-9]/);
    expect(text).to.match(/gateway_call_event_writes_pending \d/);
  });
});
