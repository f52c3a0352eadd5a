import type { DbOrTrx } from '../../../adapters/db/knex.js';
import type { Scope } from '../report-sql.js';

/** One call as the ad platforms' upload files need it. */
export interface ExportCall {
  readonly id: string;
  readonly startedAt: Date;
  /** Call start as "YYYY-MM-DD HH:MM:SS" in the site's zone. */
  readonly startedLocal: string;
  readonly caller: string;
  readonly answered: boolean;
  readonly talkSeconds: number;
  readonly ringSeconds: number;
  readonly firstTime: boolean;
  readonly staticNumber: boolean;
  readonly opensLead: boolean;
  readonly leadStatus: string | null;
  readonly leadAmount: string | null;
  /** The call's own session (the visit that showed the number). */
  readonly ym: string | null;
  readonly yclid: string | null;
  readonly pageUrl: string | null;
  /** gclid of the visit the call is credited to under last non-direct (a direct return keeps the ad click). */
  readonly gclid: string | null;
}

export interface ExportDeal {
  readonly leadId: string;
  readonly firstCallId: string;
  readonly wonAt: Date;
  readonly wonLocal: string;
  readonly amount: string | null;
  readonly currency: string | null;
  readonly gclid: string | null;
  readonly ym: string | null;
  readonly yclid: string | null;
}

interface CallRow {
  id: string;
  started_at: Date;
  started_local: string;
  caller: string;
  answered: boolean;
  talk_seconds: number | null;
  ring_seconds: number | null;
  first_time_caller: boolean | null;
  static_number: boolean;
  opens_lead: boolean;
  lead_status: string | null;
  lead_amount: string | null;
  ym: string | null;
  yclid: string | null;
  page_url: string | null;
  gclid: string | null;
}

/** The gclid of the visit credited under last non-direct: the call's own visit, or before a direct one the last ad visit in 90 days. */
const CREDITED_GCLID = `coalesce(s0.click_ids->>'gclid', (SELECT w.click_ids->>'gclid' FROM web_sessions w
   WHERE s0.source = '(direct)' AND w.visitor_id = s0.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
     AND w.first_seen_at <= s0.first_seen_at AND w.first_seen_at > s0.first_seen_at - interval '90 days'
   ORDER BY w.first_seen_at DESC LIMIT 1))`;

/** Reads for the conversion exports: calls of a period and deals won in it. */
export class ConversionExportReadModel {
  async calls(db: DbOrTrx, scope: Scope): Promise<ExportCall[]> {
    const res = (await db.raw(
      `SELECT c.id, c.started_at, to_char(timezone(?, c.started_at), 'YYYY-MM-DD HH24:MI:SS') AS started_local, c.caller,
         c.answered_at IS NOT NULL AS answered, c.talk_seconds, c.ring_seconds, c.first_time_caller,
         coalesce(p.kind = 'static', tn.id IS NOT NULL AND tn.pool_id IS NULL, false) AS static_number,
         coalesce(l.first_inquiry_id = c.id, false) AS opens_lead, l.status AS lead_status, l.amount::text AS lead_amount,
         s0.client_ids->>'ym' AS ym, s0.click_ids->>'yclid' AS yclid,
         coalesce(s0.pages->>(jsonb_array_length(s0.pages) - 1), s0.landing_url) AS page_url,
         ${CREDITED_GCLID} AS gclid
       FROM calls c
       LEFT JOIN web_sessions s0 ON s0.id = c.session_id
       LEFT JOIN tracking_numbers tn ON tn.id = c.tracking_number_id
       LEFT JOIN pools p ON p.id = tn.pool_id
       LEFT JOIN leads l ON l.id = c.lead_id
       WHERE c.account_id = ? AND c.site_id = ? AND c.started_at >= ? AND c.started_at < ? AND NOT c.blocked
       ORDER BY c.started_at, c.id`,
      [scope.timezone, scope.accountId, scope.siteId, scope.lo, scope.hi],
    )) as { rows: CallRow[] };
    return res.rows.map((r) => ({
      id: r.id,
      startedAt: new Date(r.started_at),
      startedLocal: r.started_local,
      caller: r.caller,
      answered: r.answered,
      talkSeconds: r.talk_seconds ?? 0,
      ringSeconds: r.ring_seconds ?? 0,
      firstTime: r.first_time_caller === true,
      staticNumber: r.static_number,
      opensLead: r.opens_lead,
      leadStatus: r.lead_status,
      leadAmount: r.lead_amount,
      ym: r.ym,
      yclid: r.yclid,
      pageUrl: r.page_url,
      gclid: r.gclid,
    }));
  }

  /** Leads won in the period (by the time the CRM reported the win), with the ids of the visit that started them. */
  async deals(db: DbOrTrx, scope: Scope): Promise<ExportDeal[]> {
    const res = (await db.raw(
      `SELECT l.id AS lead_id, l.first_inquiry_id, l.status_changed_at AS won_at,
         to_char(timezone(?, l.status_changed_at), 'YYYY-MM-DD HH24:MI:SS') AS won_local, l.amount::text AS amount, l.currency,
         ${CREDITED_GCLID} AS gclid, s0.client_ids->>'ym' AS ym, s0.click_ids->>'yclid' AS yclid
       FROM leads l
       JOIN calls c ON c.id = l.first_inquiry_id
       LEFT JOIN web_sessions s0 ON s0.id = c.session_id
       WHERE l.account_id = ? AND l.site_id = ? AND l.status = 'won' AND l.status_changed_at >= ? AND l.status_changed_at < ?
       ORDER BY l.status_changed_at, l.id`,
      [scope.timezone, scope.accountId, scope.siteId, scope.lo, scope.hi],
    )) as {
      rows: {
        lead_id: string;
        first_inquiry_id: string;
        won_at: Date;
        won_local: string;
        amount: string | null;
        currency: string | null;
        gclid: string | null;
        ym: string | null;
        yclid: string | null;
      }[];
    };
    return res.rows.map((r) => ({
      leadId: r.lead_id,
      firstCallId: r.first_inquiry_id,
      wonAt: new Date(r.won_at),
      wonLocal: r.won_local,
      amount: r.amount,
      currency: r.currency,
      gclid: r.gclid,
      ym: r.ym,
      yclid: r.yclid,
    }));
  }
}
