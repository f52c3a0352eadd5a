import type { Db } from '../adapters/db/knex.js';
import { recordingKey } from '../adapters/storage/recording-storage.js';
import type { RecordingStorage } from '../adapters/storage/recording-storage.js';
import type { Principal } from '../http/principal.js';
import { newId } from '../shared/ids.js';
import type { CrmSinkService } from '../features/crm-sinks/crm-sink-service.js';
import { DEMO_SITE_KEY } from './demo-seed.js';
import { demoConversationWav } from './demo-wav.js';

/**
 * Two weeks of history for the demo site only, so every console screen has something to show after `npm start`:
 * channels besides Google Ads, visits with UTM tags and click ids, answered and missed calls attributed to them, one
 * stored recording (a WAV generated here), tags, a CRM integration with a delivered and a failed lead, and CRM
 * feedback (deals with revenue). Runs once: a demo site that already has calls is left as it is.
 */

const CHANNELS = [
  { name: 'Yandex Direct', kind: 'paid_search', priority: 9, rules: [{ click_id: 'yclid' }, { utm_source: 'yandex', utm_medium: 'cpc' }] },
  { name: 'Facebook Ads', kind: 'paid_social', priority: 8, rules: [{ utm_source: 'facebook', utm_medium: 'paid' }, { click_id: 'fbclid' }] },
  { name: 'Organic search', kind: 'organic_search', priority: 1, rules: [{ referrer_host: 'www.google.com' }, { referrer_host: 'yandex.ru' }] },
  { name: 'Newsletter', kind: 'email', priority: 5, rules: [{ utm_medium: 'email' }] },
] as const;

interface Visit {
  channel: string;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  referrer: string | null;
  clickIds: Record<string, string>;
  landing: string;
}

const VISITS: Visit[] = [
  {
    channel: 'Google Ads',
    source: 'google',
    medium: 'cpc',
    campaign: 'spring_sale',
    term: 'emergency plumber',
    referrer: 'https://www.google.com/',
    clickIds: { gclid: 'Cj0KCQiA-demo1' },
    landing: '/demo?gclid=Cj0KCQiA-demo1&utm_source=google&utm_medium=cpc&utm_campaign=spring_sale',
  },
  {
    channel: 'Google Ads',
    source: 'google',
    medium: 'cpc',
    campaign: 'brand',
    term: 'acme plumbing',
    referrer: 'https://www.google.com/',
    clickIds: { gclid: 'Cj0KCQiA-demo2' },
    landing: '/demo?gclid=Cj0KCQiA-demo2&utm_campaign=brand',
  },
  {
    channel: 'Yandex Direct',
    source: 'yandex',
    medium: 'cpc',
    campaign: 'moscow_search',
    term: 'сантехник срочно',
    referrer: 'https://yandex.ru/',
    clickIds: { yclid: '71234567890' },
    landing: '/demo?yclid=71234567890&utm_source=yandex&utm_medium=cpc',
  },
  {
    channel: 'Facebook Ads',
    source: 'facebook',
    medium: 'paid',
    campaign: 'retargeting',
    term: null,
    referrer: 'https://l.facebook.com/',
    clickIds: { fbclid: 'IwAR-demo' },
    landing: '/demo?utm_source=facebook&utm_medium=paid&utm_campaign=retargeting',
  },
  {
    channel: 'Organic search',
    source: 'google',
    medium: 'organic',
    campaign: null,
    term: null,
    referrer: 'https://www.google.com/',
    clickIds: {},
    landing: '/demo',
  },
  {
    channel: 'Newsletter',
    source: 'newsletter',
    medium: 'email',
    campaign: 'november',
    term: null,
    referrer: null,
    clickIds: {},
    landing: '/demo?utm_source=newsletter&utm_medium=email&utm_campaign=november',
  },
];

const CALLERS = ['+14155550123', '+14155550178', '+16505550142', '+74951112233', '+79161234567', '+14085550111', '+12125550199', '+79035556677'];
const DAY = 86_400_000;

export interface DemoActivityResult {
  readonly calls: number;
  readonly recordingCallId: string | null;
}

export async function seedDemoActivity(deps: {
  db: Db;
  storage: RecordingStorage;
  crmSinks: CrmSinkService;
  now?: Date;
}): Promise<DemoActivityResult> {
  const { db } = deps;
  const now = deps.now ?? new Date();
  const site = (await db('sites').where({ public_key: DEMO_SITE_KEY }).first()) as { id: string; account_id: string } | undefined;
  if (!site) return { calls: 0, recordingCallId: null };
  if (await db('calls').where({ site_id: site.id }).first()) return { calls: 0, recordingCallId: null };
  const accountId = site.account_id;

  const channelIds = new Map<string, string>();
  for (const row of (await db('channels').where({ site_id: site.id })) as { id: string; name: string }[]) channelIds.set(row.name, row.id);
  for (const c of CHANNELS) {
    if (channelIds.has(c.name)) continue;
    const id = newId();
    await db('channels').insert({
      id,
      account_id: accountId,
      site_id: site.id,
      name: c.name,
      kind: c.kind,
      priority: c.priority,
      rules: JSON.stringify(c.rules),
    });
    channelIds.set(c.name, id);
  }
  const numbers = (await db('tracking_numbers').where({ site_id: site.id }).whereNot({ status: 'released' }).orderBy('e164')) as {
    id: string;
    e164: string;
    pool_id: string;
  }[];

  const calls: { id: string; visit: Visit; answered: boolean; startedAt: Date; talk: number }[] = [];
  let k = 0;
  for (let day = 13; day >= 0; day--) {
    const perDay = 1 + ((day * 7) % 4);
    for (let j = 0; j < perDay; j++, k++) {
      const visit = VISITS[(k * 5 + day) % VISITS.length]!;
      const startedAt = new Date(now.getTime() - day * DAY - (j * 2 + 1) * 3_600_000 - (k % 7) * 60_000);
      if (startedAt > now) continue;
      const answered = k % 4 !== 3;
      const talk = answered ? 35 + ((k * 37) % 240) : 0;
      calls.push({ id: newId(), visit, answered, startedAt, talk });
    }
  }
  // The newest call is a Google Ads call with a recording, so it is the first row on the calls screen.
  const newest = { id: newId(), visit: VISITS[0]!, answered: true, startedAt: new Date(now.getTime() - 20 * 60_000), talk: 24 };
  calls.push(newest);

  // Rows are built in memory and written in a few multi-row inserts: the embedded database pays per statement.
  const visitorRows: Record<string, unknown>[] = [];
  const sessionRows: Record<string, unknown>[] = [];
  const callRows: CallRow[] = [];
  await db.transaction(async (trx) => {
    for (const [i, c] of calls.entries()) {
      const visitorId = newId();
      const sessionId = newId();
      const channelId = channelIds.get(c.visit.channel) ?? null;
      const firstSeen = new Date(c.startedAt.getTime() - (4 + (i % 9)) * 60_000);
      const touch = {
        channelId,
        source: c.visit.source,
        medium: c.visit.medium,
        campaign: c.visit.campaign,
        term: c.visit.term,
        clickIds: c.visit.clickIds,
        referrer: c.visit.referrer,
        landingUrl: `http://localhost${c.visit.landing}`,
        at: firstSeen.toISOString(),
      };
      visitorRows.push({
        id: visitorId,
        account_id: accountId,
        site_id: site.id,
        first_touch: JSON.stringify(touch),
        first_seen_at: firstSeen,
        last_seen_at: c.startedAt,
      });
      sessionRows.push({
        id: sessionId,
        account_id: accountId,
        site_id: site.id,
        visitor_id: visitorId,
        channel_id: channelId,
        landing_url: `http://localhost${c.visit.landing}`,
        referrer: c.visit.referrer,
        source: c.visit.source,
        medium: c.visit.medium,
        utm_source: c.visit.source,
        utm_medium: c.visit.medium,
        utm_campaign: c.visit.campaign,
        utm_term: c.visit.term,
        click_ids: JSON.stringify(c.visit.clickIds),
        device: JSON.stringify(i % 3 ? { type: 'desktop', os: 'Windows', browser: 'Chrome' } : { type: 'mobile', os: 'iOS', browser: 'Safari' }),
        consent: 'not_required',
        pages: JSON.stringify([`http://localhost${c.visit.landing}`, 'http://localhost/demo#prices', 'http://localhost/demo#contacts']),
        first_seen_at: firstSeen,
        last_seen_at: c.startedAt,
      });
      const number = numbers[i % Math.max(1, numbers.length)];
      const ring = 4 + (i % 11);
      const answeredAt = c.answered ? new Date(c.startedAt.getTime() + ring * 1000) : null;
      const endedAt = new Date(c.startedAt.getTime() + (ring + c.talk) * 1000);
      const caller = CALLERS[i % CALLERS.length]!;
      const score = i % 5 === 0 ? 0.72 : 1;
      const candidates = [
        { sessionId, visitorId, method: 'lease', score, reason: 'The visit held this number when the call rang' },
        ...(score < 1 ? [{ sessionId: null, visitorId: null, method: 'channel', score: 0.4, reason: 'The number belongs to the channel' }] : []),
      ];
      callRows.push({
        lead_id: null,
        id: c.id,
        account_id: accountId,
        site_id: site.id,
        provider: 'asterisk',
        provider_call_id: `demo-${c.id}`,
        tracking_number_id: number?.id ?? null,
        tracking_e164: number?.e164 ?? '+14155550101',
        caller,
        forward_to: '+14155550199',
        status: 'ended',
        outcome: c.answered ? 'completed' : i % 2 ? 'no-answer' : 'busy',
        started_at: c.startedAt,
        answered_at: answeredAt,
        ended_at: endedAt,
        ring_seconds: ring,
        talk_seconds: c.talk,
        session_id: sessionId,
        visitor_id: visitorId,
        channel_id: channelId,
        attribution: JSON.stringify({
          method: 'lease',
          sessionId,
          visitorId,
          channelId,
          score,
          candidates,
          assignedBy: 'matcher',
          assignedAt: c.startedAt.toISOString(),
        }),
        first_time_caller: i < CALLERS.length,
        blocked: false,
      });
    }
    await trx.batchInsert('visitors', visitorRows, 200);
    await trx.batchInsert('web_sessions', sessionRows, 200);
    await trx.batchInsert('leads', leadsFor(callRows, { accountId, siteId: site.id, now }), 200);
    await trx.batchInsert('calls', callRows, 200);
    await trx.batchInsert('ad_spend', spendRows({ accountId, siteId: site.id, channelIds, now }), 200);
    await trx('call_notes').insert([
      { call_id: newest.id, account_id: accountId, tags: JSON.stringify(['hot lead', 'plumbing']), note: 'Wants a visit tomorrow morning.' },
      { call_id: calls[2]!.id, account_id: accountId, tags: JSON.stringify(['quote sent']), note: '' },
    ]);
  });

  // The recording: stored like any fetched one, so it streams with Range and is audited when played.
  const wav = demoConversationWav();
  const recordingId = newId();
  const key = recordingKey({ accountId, callId: newest.id, recordingId, at: newest.startedAt, ext: 'wav' });
  const stored = await deps.storage.put(key, wav, 'audio/wav');
  await db('recordings').insert({
    id: recordingId,
    account_id: accountId,
    call_id: newest.id,
    provider: 'asterisk',
    provider_ref: `demo-${recordingId}`,
    storage_key: stored.key,
    content_type: 'audio/wav',
    bytes: stored.bytes,
    sha256: stored.sha256,
    duration_s: 24,
    channels: 1,
    status: 'stored',
    stored_at: now,
  });

  await seedCrm(deps, {
    accountId,
    siteId: site.id,
    calls: calls
      .filter((c) => c.answered)
      .slice(-4)
      .map((c) => c.id),
    missed: calls.find((c) => !c.answered)?.id ?? null,
    now,
  });
  return { calls: calls.length, recordingCallId: newest.id };
}

/** A webhook integration (disabled, pointing at a placeholder) with the history a working one leaves behind. */
async function seedCrm(
  deps: { db: Db; crmSinks: CrmSinkService },
  p: { accountId: string; siteId: string; calls: string[]; missed: string | null; now: Date },
) {
  const owner: Principal = { accountId: p.accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' };
  const { sink } = await deps.crmSinks.create(owner, p.siteId, {
    kind: 'webhook',
    name: 'Demo CRM (webhook)',
    config: { url: 'https://crm.example.com/hooks/calls' },
    secrets: { secret: `whsec_${Buffer.from('demo-signing-secret-0123456789ab').toString('base64')}` },
    deliverOn: ['call.ended'],
  });
  await deps.crmSinks.update(owner, p.siteId, sink.id, { status: 'disabled' });
  const rows: Record<string, unknown>[] = p.calls.map((callId, i) => ({
    id: newId(),
    account_id: p.accountId,
    topic: 'crm.lead',
    sink_id: sink.id,
    aggregate_id: callId,
    dedupe_key: `demo:${sink.id}:${callId}:call.ended`,
    payload: JSON.stringify({ callId, trigger: 'call.ended' }),
    status: 'delivered',
    attempts: 1,
    created_at: new Date(p.now.getTime() - (i + 1) * 3_600_000),
    delivered_at: new Date(p.now.getTime() - (i + 1) * 3_600_000 + 900),
  }));
  if (p.missed)
    rows.push({
      id: newId(),
      account_id: p.accountId,
      topic: 'crm.lead',
      sink_id: sink.id,
      aggregate_id: p.missed,
      dedupe_key: `demo:${sink.id}:${p.missed}:call.ended`,
      payload: JSON.stringify({ callId: p.missed, trigger: 'call.ended' }),
      status: 'dead',
      attempts: 8,
      created_at: new Date(p.now.getTime() - 30 * 3_600_000),
      last_error: 'HTTP 503 from crm.example.com (Service Unavailable) after 8 attempts',
    });
  await deps.db('outbox').insert(rows);
  await deps.db('crm_leads').insert(
    p.calls.map((callId, i) => ({
      account_id: p.accountId,
      sink_id: sink.id,
      call_id: callId,
      external_record_id: `DEMO-${1001 + i}`,
      last_trigger: 'call.ended',
    })),
  );
  await deps.db('conversions').insert(
    p.calls.slice(0, 2).map((callId, i) => ({
      id: newId(),
      account_id: p.accountId,
      call_id: callId,
      sink_id: sink.id,
      external_record_id: `DEMO-${1001 + i}`,
      stage: 'won',
      status: 'won',
      revenue: i ? 480 : 1250,
      currency: 'USD',
    })),
  );
}

const SPEND = [
  { channel: 'Google Ads', source: 'google', medium: 'cpc', campaign: 'spring_sale', perDay: 38, clicks: 41 },
  { channel: 'Google Ads', source: 'google', medium: 'cpc', campaign: 'brand', perDay: 9.5, clicks: 17 },
  { channel: 'Yandex Direct', source: 'yandex', medium: 'cpc', campaign: 'moscow_search', perDay: 24, clicks: 30 },
  { channel: 'Facebook Ads', source: 'facebook', medium: 'paid', campaign: 'retargeting', perDay: 15, clicks: 22 },
] as const;

interface CallRow extends Record<string, unknown> {
  id: string;
  caller: string;
  started_at: Date;
  session_id: string;
  visitor_id: string;
  channel_id: string | null;
  lead_id: string | null;
}

/** One lead per customer: a repeat call within 24 h joins the caller's lead (sets the call's lead_id); every third lead is won. */
function leadsFor(calls: CallRow[], p: { accountId: string; siteId: string; now: Date }): Record<string, unknown>[] {
  const open = new Map<string, Record<string, unknown> & { id: string; started_at: Date; inquiries: number }>();
  const leads: Record<string, unknown>[] = [];
  const ordered = [...calls].sort((a, b) => a.started_at.getTime() - b.started_at.getTime());
  for (const [i, c] of ordered.entries()) {
    const prev = open.get(c.caller);
    if (prev && c.started_at.getTime() - prev.started_at.getTime() < DAY) {
      prev.last_inquiry_at = c.started_at;
      prev.inquiries += 1;
      c.lead_id = prev.id;
      continue;
    }
    const won = leads.length % 3 === 1;
    const lead = {
      id: newId(),
      account_id: p.accountId,
      site_id: p.siteId,
      contact: c.caller,
      kind: 'call',
      first_inquiry_id: c.id,
      started_at: c.started_at,
      last_inquiry_at: c.started_at,
      inquiries: 1,
      channel_id: c.channel_id,
      session_id: c.session_id,
      visitor_id: c.visitor_id,
      status: won ? 'won' : 'open',
      amount: won ? [1250, 480, 890, 2300, 650][i % 5] : null,
      currency: won ? 'USD' : null,
      status_changed_at: won ? new Date(Math.min(c.started_at.getTime() + 2 * DAY, p.now.getTime())) : null,
    };
    leads.push(lead);
    open.set(c.caller, lead);
    c.lead_id = lead.id;
  }
  return leads;
}

/** Daily ad spend of the paid channels over the two weeks, in the demo site's currency. */
function spendRows(p: { accountId: string; siteId: string; channelIds: Map<string, string>; now: Date }): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let day = 13; day >= 0; day--) {
    const date = new Date(p.now.getTime() - day * DAY).toISOString().slice(0, 10);
    for (const s of SPEND)
      rows.push({
        id: newId(),
        account_id: p.accountId,
        site_id: p.siteId,
        spend_date: date,
        utm_source: s.source,
        utm_medium: s.medium,
        utm_campaign: s.campaign,
        source: s.source,
        medium: s.medium,
        channel_id: p.channelIds.get(s.channel) ?? null,
        amount: (s.perDay * (0.8 + ((day * 13) % 5) / 10)).toFixed(2),
        currency: 'USD',
        clicks: s.clicks + ((day * 7) % 9),
        import_format: 'demo',
      });
  }
  return rows;
}
