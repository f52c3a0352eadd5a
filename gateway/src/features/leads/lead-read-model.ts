import type { DbOrTrx } from '../../adapters/db/knex.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import { ORIGIN_COLUMNS, callOrigin } from '../calls/call-origin.js';
import type { OriginRow } from '../calls/call-origin.js';
import { isLocale } from '../../i18n/i18n.js';
import type { Lead, LeadTrigger } from './lead-types.js';

interface LeadRow extends OriginRow {
  id: string;
  account_id: string;
  site_id: string | null;
  caller: string;
  tracking_e164: string;
  direction: 'inbound' | 'callback' | null;
  status: Lead['status'];
  outcome: Lead['outcome'];
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  ring_seconds: number | null;
  talk_seconds: number | null;
  first_time_caller: boolean | null;
  referrer: string | null;
  click_ids: Record<string, unknown> | null;
  client_ids: Record<string, unknown> | null;
  session_id: string | null;
  session_first_seen_at: Date | null;
  recording_id: string | null;
  site_locale: string | null;
  lead_id: string | null;
  lead_first_inquiry_id: string | null;
  lead_inquiries: number | null;
  lead_status: 'open' | 'won' | 'lost' | null;
  lead_amount: string | number | null;
  site_currency: string | null;
}

/** How a CRM reaches a call's recording; the recordings feature owns the URL. */
export type RecordingLink = (r: { accountId: string; callId: string; recordingId: string }) => Promise<string>;

const d = (v: Date | null): Date | null => (v ? new Date(v) : null);

const strings = (o: Record<string, unknown> | null): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
};

/** A call as a lead, read from calls + its customer lead + the attributed web session + its channel + the recording. */
export class LeadReadModel {
  constructor(private readonly recordingLink: RecordingLink) {}

  async get(db: DbOrTrx, accountId: string, callId: string, trigger: LeadTrigger): Promise<Lead | null> {
    const row = (await db('calls as c')
      .leftJoin('web_sessions as s', function () {
        this.on('s.id', 'c.session_id').andOn('s.account_id', 'c.account_id');
      })
      .leftJoin('channels as ch', 'ch.id', 'c.channel_id')
      .leftJoin('leads as l', 'l.id', 'c.lead_id')
      .leftJoin('sites as site', 'site.id', 'c.site_id')
      .select(
        'c.id',
        'c.account_id',
        'c.site_id',
        'c.caller',
        'c.tracking_e164',
        'c.direction',
        'c.status',
        'c.outcome',
        'c.started_at',
        'c.answered_at',
        'c.ended_at',
        'c.ring_seconds',
        'c.talk_seconds',
        'c.first_time_caller',
        'c.session_id',
        ...ORIGIN_COLUMNS,
        's.referrer',
        's.click_ids',
        db.raw(`site.settings->>'locale' AS site_locale`),
        's.client_ids',
        's.first_seen_at as session_first_seen_at',
        'l.id as lead_id',
        'l.first_inquiry_id as lead_first_inquiry_id',
        'l.inquiries as lead_inquiries',
        'l.status as lead_status',
        'l.amount as lead_amount',
        db.raw("site.settings->>'currency' as site_currency"),
        db.raw(
          `(SELECT r.id FROM recordings r WHERE r.call_id = c.id AND r.account_id = c.account_id AND r.status = 'stored'
            ORDER BY r.stored_at DESC NULLS LAST LIMIT 1) AS recording_id`,
        ),
      )
      .where({ 'c.account_id': accountId, 'c.id': callId })
      .first()) as LeadRow | undefined;
    if (!row) return null;
    const origin = callOrigin(row);
    return {
      accountId: row.account_id,
      callId: row.id,
      siteId: row.site_id,
      trigger,
      caller: row.caller,
      trackingNumber: row.tracking_e164,
      direction: row.direction === 'callback' ? 'callback' : 'inbound',
      status: row.status,
      outcome: row.outcome,
      startedAt: new Date(row.started_at),
      answeredAt: d(row.answered_at),
      endedAt: d(row.ended_at),
      ringSeconds: row.ring_seconds,
      talkSeconds: row.talk_seconds,
      firstTimeCaller: row.first_time_caller,
      recordingUrl: row.recording_id ? await this.recordingLink({ accountId, callId, recordingId: row.recording_id }) : null,
      currency: row.site_currency ?? DEFAULT_SITE_SETTINGS.currency,
      lead: row.lead_id
        ? {
            id: row.lead_id,
            firstCallId: row.lead_first_inquiry_id ?? row.id,
            repeat: row.lead_first_inquiry_id !== null && row.lead_first_inquiry_id !== row.id,
            calls: Number(row.lead_inquiries ?? 1),
            status: row.lead_status ?? 'open',
            amount: row.lead_amount === null ? null : Number(row.lead_amount),
          }
        : null,
      session: row.session_id ? { id: row.session_id, startedAt: d(row.session_first_seen_at), clientIds: strings(row.client_ids) } : null,
      attribution: {
        source: origin.source,
        medium: origin.medium,
        campaign: origin.campaign,
        keyword: origin.keyword,
        content: origin.content,
        landingPage: origin.landingPage,
        referrer: row.referrer,
        channel: origin.channel?.kind ?? null,
        channelName: origin.channel?.name ?? null,
        clickIds: strings(row.click_ids),
      },
      locale: isLocale(row.site_locale) ? row.site_locale : 'en',
    };
  }
}
