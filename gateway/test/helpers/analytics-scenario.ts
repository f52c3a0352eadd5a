import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ManualClock } from '../../src/shared/clock.js';
import { startStandIn, waitUntil } from '../stand-ins/http-stand-in.js';
import { createTestConfig } from './config.js';
import type { TestDatabase } from './db.js';
import { startTestGateway } from './gateway.js';
import type { TestGateway } from './gateway.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from './twilio-webhooks.js';

/**
 * A site driven only through the public API, on a hand-moved clock: the widget's session calls (visits), signed Twilio
 * webhooks (calls), and whatever a test posts next (spend files, CRM feedback). Times are given in the site's zone.
 */

export const ACCOUNT_SID = randomSid('AC');
export const AUTH_TOKEN = 'a'.repeat(32);
export const PUBLIC = 'https://calls.example.com';
export const TZ = 'Europe/Moscow';
const UA_DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
export const UA_MOBILE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

/** `2026-11-20 10:00:00` in Moscow (UTC+3 all year) as an instant. */
export const msk = (local: string): number => Date.parse(`${local.replace(' ', 'T')}+03:00`);

export interface Scenario {
  readonly gw: TestGateway;
  readonly clock: ManualClock;
  readonly siteId: string;
  readonly siteKey: string;
  readonly channels: Record<'google' | 'vk' | 'direct', string>;
  /** A widget visit at a local time; returns its session, visitor and the number shown. */
  visit(
    at: string,
    o: { url: string; referrer?: string; visitor?: string; ua?: string; clientIds?: { ym?: string; ga?: string } },
  ): Promise<{ session: string; visitor: string; number: string }>;
  /** A Twilio call at a local time to a number, answered with `talk` seconds or missed (null). Resolves when it ended. */
  call(at: string, o: { from: string; to: string; talk: number | null }): Promise<{ callId: string; callSid: string }>;
  post<T>(path: string, json: unknown): Promise<T>;
  /** The CRM tells the gateway how the lead of a call went (generic feedback API, the sink's token). */
  feedback(body: { callId: string; stage: string; status: 'won' | 'lost' | 'open'; amount?: number; occurredAt?: string }): Promise<Response>;
  /** Waits until every lead delivery to the CRM is done (feedback needs the CRM record). */
  settled(): Promise<void>;
}

export async function startScenario(db: TestDatabase, opts: { currency?: string } = {}): Promise<Scenario> {
  const clock = new ManualClock(msk('2026-11-19 09:00:00'));
  const config = createTestConfig({ http: { publicBaseUrl: new URL(PUBLIC) }, twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
  const gw = await startTestGateway(db, { config, container: { clock } });
  const post = async <T>(path: string, json: unknown): Promise<T> => {
    const res = await gw.api(path, { method: 'POST', json });
    expect(res.status, `${path}: ${await res.clone().text()}`).to.be.oneOf([200, 201]);
    return (await res.json()) as T;
  };
  const siteKey = `shop-${randomBytes(4).toString('hex')}`;
  const site = await post<{ id: string }>('/v1/sites', {
    name: 'Sofa shop',
    publicKey: siteKey,
    domains: ['shop.example'],
    canonicalNumbers: ['+74951234567'],
    timezone: TZ,
    defaultForwardTo: '+74950000000',
    ...(opts.currency ? { settings: { currency: opts.currency } } : {}),
  });
  // A CRM that takes every lead, so its outcomes can come back through the feedback API.
  const crm = await startStandIn(() => ({ status: 204 }));
  db.onDispose(() => crm.close());
  const sink = await post<{ sink: { id: string }; feedbackToken: string }>(`/v1/sites/${site.id}/crm-sinks`, {
    kind: 'webhook',
    name: 'CRM',
    config: { url: `${crm.url}/hook` },
    secrets: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    deliverOn: ['call.started', 'call.ended'],
  });
  const channel = (name: string, kind: string, rules: object[], priority: number) =>
    post<{ id: string }>('/v1/channels', { siteId: site.id, name, kind, rules, priority }).then((c) => c.id);
  const channels = {
    google: await channel('Google Ads', 'paid_search', [{ click_id: 'gclid' }, { utm_source: 'google', utm_medium: 'cpc' }], 10),
    vk: await channel('VK Ads', 'paid_social', [{ utm_source: 'vk' }], 5),
    direct: await channel('Direct', 'direct', [{ utm_source: '(direct)', utm_medium: '(none)' }], 1),
  };
  const pool = await post<{ id: string }>('/v1/pools', {
    siteId: site.id,
    name: 'Website',
    kind: 'session',
    canonicalNumber: '+74951234567',
    fallbackNumber: '+74951230000',
  });
  for (let i = 1; i <= 6; i++)
    await post('/v1/tracking-numbers', { e164: `+7495111000${i}`, provider: 'twilio', poolId: pool.id, forwardTo: '+74950000000' });
  await gw.container.services.leases.syncAll();
  await gw.container.services.routing.refresh();
  const tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);

  return {
    gw,
    clock,
    siteId: site.id,
    siteKey,
    channels,
    post,
    feedback: (body) =>
      fetch(`${gw.baseUrl}/v1/crm-feedback/${sink.sink.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sink.feedbackToken}` },
        body: JSON.stringify(body),
      }),
    settled: () => {
      // The outbox stamps rows with the database's clock: move the scenario's clock past it so they are due.
      clock.set(Math.max(clock.nowMs(), Date.now() + 60_000));
      gw.container.outboxWorker.notify();
      return waitUntil(
        async () =>
          Number(((await db.knex('outbox').whereIn('status', ['pending', 'delivering']).count('* as n').first()) as { n: unknown }).n) === 0,
        30_000,
        'lead deliveries settled',
      );
    },
    async visit(at, o) {
      clock.set(msk(at));
      const res = await fetch(`${gw.baseUrl}/v1/dni/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'https://shop.example', 'user-agent': o.ua ?? UA_DESKTOP },
        body: JSON.stringify({
          site: siteKey,
          url: o.url,
          referrer: o.referrer ?? '',
          ...(o.visitor ? { visitor: o.visitor } : {}),
          ...(o.clientIds ? { clientIds: o.clientIds } : {}),
        }),
      });
      expect(res.status, await res.clone().text()).to.equal(200);
      const s = (await res.json()) as { session: string; visitor: string; swaps: { from: string; to: string }[] };
      await gw.container.services.visitRecorder.flush();
      return { session: s.session, visitor: s.visitor, number: s.swaps[0]?.to ?? '+74951234567' };
    },
    async call(at, o) {
      clock.set(msk(at));
      const callSid = randomSid('CA');
      const voice = await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: o.from, to: o.to }));
      expect(voice.status).to.equal(200);
      const base = clock.nowMs();
      for (const cb of o.talk === null
        ? missedCallbacks(callSid, o.from, o.to)
        : answeredCallCallbacks({ accountSid: ACCOUNT_SID, callSid, from: o.from, to: o.to, forwardTo: '+74950000000', talkSeconds: o.talk })) {
        if (cb.path === 'recording') continue;
        const params = retime(cb.params, base);
        delete params.RecordingUrl;
        delete params.RecordingSid;
        delete params.RecordingDuration;
        expect((await tw.post(cb.path, params)).status, cb.path).to.be.oneOf([200, 204]);
      }
      const row = await eventually(
        async () => {
          const r = (await db.knex('calls').where({ provider: 'twilio', provider_call_id: callSid }).first()) as
            | { id: string; status: string }
            | undefined;
          return r?.status === 'ended' ? r : null;
        },
        15_000,
        'the ended call',
      );
      return { callId: row.id, callSid };
    },
  };
}

/** Twilio's call-progress timestamps, moved from the wall clock to the scenario's clock. */
function retime(params: Record<string, string>, baseMs: number): Record<string, string> {
  const out = { ...params };
  if (out.Timestamp) {
    // answeredCallCallbacks stamps events at "now + n s"; keep n, change now.
    const offset = Math.round((Date.parse(out.Timestamp) - Date.now()) / 1000);
    out.Timestamp = new Date(baseMs + Math.max(0, offset) * 1000).toUTCString().replace('GMT', '+0000');
  }
  return out;
}

function missedCallbacks(
  callSid: string,
  from: string,
  to: string,
): { path: 'status' | 'dial-status' | 'recording'; params: Record<string, string> }[] {
  const leg = randomSid('CA');
  const common = { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01' };
  const ts = (s: number) => new Date(Date.now() + s * 1000).toUTCString().replace('GMT', '+0000');
  const legBase = {
    ...common,
    CallSid: leg,
    ParentCallSid: callSid,
    Direction: 'outbound-dial',
    From: from,
    To: '+74950000000',
    CallbackSource: 'call-progress-events',
  };
  return [
    { path: 'dial-status', params: { ...legBase, CallStatus: 'initiated', SequenceNumber: '0', Timestamp: ts(0) } },
    { path: 'dial-status', params: { ...legBase, CallStatus: 'ringing', SequenceNumber: '1', Timestamp: ts(1) } },
    { path: 'dial-status', params: { ...legBase, CallStatus: 'no-answer', SequenceNumber: '2', Timestamp: ts(25), CallDuration: '0' } },
    {
      path: 'dial-status',
      params: {
        ...common,
        CallSid: callSid,
        From: from,
        To: to,
        Direction: 'inbound',
        CallStatus: 'in-progress',
        DialCallSid: leg,
        DialCallStatus: 'no-answer',
        DialCallDuration: '0',
      },
    },
    {
      path: 'status',
      params: {
        ...common,
        CallSid: callSid,
        From: from,
        To: to,
        Direction: 'inbound',
        CallStatus: 'completed',
        CallDuration: '26',
        SequenceNumber: '0',
        Timestamp: ts(26),
        CallbackSource: 'call-progress-events',
      },
    },
  ];
}
