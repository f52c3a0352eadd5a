import type { Db } from '../adapters/db/knex.js';
import type { RecordingStorage } from '../adapters/storage/recording-storage.js';
import type { CrmSinkService } from '../features/crm-sinks/crm-sink-service.js';
import type { InquiryIntake } from '../features/inquiries/inquiry-intake.js';
import type { InquiryService } from '../features/inquiries/inquiry-service.js';
import { newId } from '../shared/ids.js';
import { seedDemoCrm } from './demo-crm.js';
import { seedDemoInquiries } from './demo-inquiries.js';
import { DEMO_RECORDING_SECONDS, storeDemoRecording } from './demo-recording.js';
import { DEMO_SITE_KEY } from './demo-seed.js';
import { CHANNELS, VISITS, visitRows } from './demo-visits.js';
import type { Visit } from './demo-visits.js';

/**
 * Two weeks of history for the demo site only, so every console screen has something to show after `npm start`:
 * channels besides Google Ads, visits with UTM tags and click ids, answered and missed calls attributed to them, a
 * stored recording (a WAV generated in code), tags, forms, callback requests with their calls and emails
 * (demo-inquiries.ts), a disabled CRM integration with demo sample deliveries (demo-crm.ts), and CRM feedback (deals
 * with revenue). Runs once: a demo site that already has calls is left as it is.
 */

const CALLERS = ['+14155550123', '+14155550178', '+16505550142', '+74951112233', '+79161234567', '+14085550111', '+12125550199', '+79035556677'];
const DAY = 86_400_000;

export interface DemoActivityResult {
  readonly calls: number;
  /** Forms, callback requests and emails. */
  readonly inquiries: number;
  readonly recordingCallId: string | null;
}

export async function seedDemoActivity(deps: {
  db: Db;
  storage: RecordingStorage;
  crmSinks: CrmSinkService;
  inquiries: { service: InquiryService; intake: InquiryIntake };
  now?: Date;
}): Promise<DemoActivityResult> {
  const { db } = deps;
  const now = deps.now ?? new Date();
  const site = (await db('sites').where({ public_key: DEMO_SITE_KEY }).first()) as { id: string; account_id: string } | undefined;
  if (!site) return { calls: 0, inquiries: 0, recordingCallId: null };
  if (await db('calls').where({ site_id: site.id }).first()) return { calls: 0, inquiries: 0, recordingCallId: null };
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
  const newest = { id: newId(), visit: VISITS[0]!, answered: true, startedAt: new Date(now.getTime() - 20 * 60_000), talk: DEMO_RECORDING_SECONDS };
  calls.push(newest);

  // Rows are built in memory and written in a few multi-row inserts: the embedded database pays per statement.
  const visitorRows: Record<string, unknown>[] = [];
  const sessionRows: Record<string, unknown>[] = [];
  const callRows: CallRow[] = [];
  await db.transaction(async (trx) => {
    for (const [i, c] of calls.entries()) {
      const firstSeen = new Date(c.startedAt.getTime() - (4 + (i % 9)) * 60_000);
      const v = visitRows({ accountId, siteId: site.id, channelIds, visit: c.visit, firstSeen, lastSeen: c.startedAt, mobile: i % 3 === 0 });
      const { visitorId, sessionId, channelId } = v;
      visitorRows.push(v.visitor);
      sessionRows.push(v.session);
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

  await storeDemoRecording(deps, { accountId, callId: newest.id, at: newest.startedAt, now });
  const inquiries = await seedDemoInquiries(deps, {
    accountId,
    siteId: site.id,
    channelIds,
    now,
    calls: calls.map((c, i) => ({ startedAt: c.startedAt, caller: callRows[i]!.caller })),
  });

  await seedDemoCrm(deps, {
    accountId,
    siteId: site.id,
    calls: calls
      .filter((c) => c.answered)
      .slice(-4)
      .map((c) => c.id),
    missed: calls.find((c) => !c.answered)?.id ?? null,
    inquiries: inquiries.forCrm,
    now,
  });
  return { calls: calls.length, inquiries: inquiries.ids.length, recordingCallId: newest.id };
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
