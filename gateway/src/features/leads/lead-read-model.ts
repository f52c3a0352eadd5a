import type { DbOrTrx } from '../../adapters/db/knex.js';
import { isLocale } from '../../i18n/i18n.js';
import type { Lead, LeadTrigger } from './lead-types.js';

interface LeadRow {
  id: string;
  account_id: string;
  site_id: string | null;
  caller: string;
  tracking_e164: string;
  status: Lead['status'];
  outcome: Lead['outcome'];
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  ring_seconds: number | null;
  talk_seconds: number | null;
  first_time_caller: boolean | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  session_source: string | null;
  session_medium: string | null;
  landing_url: string | null;
  referrer: string | null;
  click_ids: Record<string, unknown> | null;
  channel_kind: string | null;
  recording_id: string | null;
  site_locale: string | null;
}

/** How a CRM reaches a call's recording; the recordings feature owns the URL. */
export type RecordingLink = (r: { accountId: string; callId: string; recordingId: string }) => Promise<string>;

const d = (v: Date | null): Date | null => (v ? new Date(v) : null);

/** A call as a lead, read from calls + the attributed web session + its channel + the stored recording. */
export class LeadReadModel {
  constructor(private readonly recordingLink: RecordingLink) {}

  async get(db: DbOrTrx, accountId: string, callId: string, trigger: LeadTrigger): Promise<Lead | null> {
    const row = (await db('calls as c')
      .leftJoin('web_sessions as s', function () {
        this.on('s.id', 'c.session_id').andOn('s.account_id', 'c.account_id');
      })
      .leftJoin('channels as ch', 'ch.id', 'c.channel_id')
      .leftJoin('sites as st', 'st.id', 'c.site_id')
      .select(
        'c.id',
        'c.account_id',
        'c.site_id',
        'c.caller',
        'c.tracking_e164',
        'c.status',
        'c.outcome',
        'c.started_at',
        'c.answered_at',
        'c.ended_at',
        'c.ring_seconds',
        'c.talk_seconds',
        'c.first_time_caller',
        's.utm_source',
        's.utm_medium',
        's.utm_campaign',
        's.utm_term',
        's.utm_content',
        's.source as session_source',
        's.medium as session_medium',
        's.landing_url',
        's.referrer',
        's.click_ids',
        'ch.kind as channel_kind',
        db.raw(`st.settings->>'locale' AS site_locale`),
        db.raw(
          `(SELECT r.id FROM recordings r WHERE r.call_id = c.id AND r.account_id = c.account_id AND r.status = 'stored'
            ORDER BY r.stored_at DESC NULLS LAST LIMIT 1) AS recording_id`,
        ),
      )
      .where({ 'c.account_id': accountId, 'c.id': callId })
      .first()) as LeadRow | undefined;
    if (!row) return null;
    const clickIds: Record<string, string> = {};
    for (const [k, v] of Object.entries(row.click_ids ?? {})) if (typeof v === 'string') clickIds[k] = v;
    return {
      accountId: row.account_id,
      callId: row.id,
      siteId: row.site_id,
      trigger,
      caller: row.caller,
      trackingNumber: row.tracking_e164,
      status: row.status,
      outcome: row.outcome,
      startedAt: new Date(row.started_at),
      answeredAt: d(row.answered_at),
      endedAt: d(row.ended_at),
      ringSeconds: row.ring_seconds,
      talkSeconds: row.talk_seconds,
      firstTimeCaller: row.first_time_caller,
      recordingUrl: row.recording_id ? await this.recordingLink({ accountId, callId, recordingId: row.recording_id }) : null,
      attribution: {
        source: row.utm_source ?? row.session_source,
        medium: row.utm_medium ?? row.session_medium,
        campaign: row.utm_campaign,
        keyword: row.utm_term,
        content: row.utm_content,
        landingPage: row.landing_url,
        referrer: row.referrer,
        channel: row.channel_kind,
        clickIds,
      },
      locale: isLocale(row.site_locale) ? row.site_locale : 'en',
    };
  }
}
