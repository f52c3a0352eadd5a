import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { REASONS } from './report-schemas.js';

export type NoSessionReason = (typeof REASONS)[number];

export interface CallWithoutSession {
  readonly callId: string;
  readonly startedAt: Date;
  readonly trackingNumber: string;
  readonly caller: string;
  readonly channelId: string | null;
  readonly sessionId: string | null;
  readonly method: string;
  readonly reason: NoSessionReason;
  readonly detail: string;
}

/** A bot-flagged visit this recent before a call on a number bots are shown makes the call "bot-gated". */
export const BOT_SEEN_WINDOW_MINUTES = 30;

interface Row {
  id: string;
  started_at: Date;
  tracking_e164: string;
  caller: string;
  channel_id: string | null;
  session_id: string | null;
  method: string | null;
  pool_kind: string | null;
  has_number: boolean;
  is_fallback: boolean;
  is_canonical: boolean;
  bot_candidate: boolean;
  bot_nearby: boolean;
  candidates: number;
}

/**
 * Calls the number could not tie to the visit that showed it, with why, read from the stored match evidence (the
 * call's attribution candidates) and the number's place in the site (static pool, a pool's fallback, the site's own
 * number). Caller-history matches are listed too: their session comes from the caller, not from the number.
 */
export class CallsWithoutSessionReadModel {
  async list(db: DbOrTrx, scope: { accountId: string; siteId: string; lo: Date; hi: Date }): Promise<CallWithoutSession[]> {
    const res = (await db.raw(
      `SELECT c.id, c.started_at, c.tracking_e164, c.caller, c.channel_id, c.session_id, c.attribution->>'method' AS method,
         p.kind AS pool_kind, (tn.id IS NOT NULL) AS has_number,
         jsonb_array_length(coalesce(c.attribution->'candidates', '[]'::jsonb)) AS candidates,
         EXISTS (SELECT 1 FROM pools fp WHERE fp.site_id = c.site_id AND fp.kind = 'session' AND fp.fallback_number = c.tracking_e164) AS is_fallback,
         (s.canonical_numbers @> to_jsonb(c.tracking_e164)) AS is_canonical,
         EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(c.attribution->'candidates', '[]'::jsonb)) cand
                 JOIN web_sessions bs ON bs.id = cand->>'sessionId' WHERE bs.is_bot) AS bot_candidate,
         EXISTS (SELECT 1 FROM web_sessions bw WHERE bw.account_id = c.account_id AND bw.site_id = c.site_id AND bw.is_bot
                 AND bw.last_seen_at > c.started_at - make_interval(mins => ${BOT_SEEN_WINDOW_MINUTES})
                 AND bw.first_seen_at <= c.started_at) AS bot_nearby
       FROM calls c
       JOIN sites s ON s.id = c.site_id
       LEFT JOIN tracking_numbers tn ON tn.id = c.tracking_number_id
       LEFT JOIN pools p ON p.id = tn.pool_id
       WHERE c.account_id = ? AND c.site_id = ? AND c.started_at >= ? AND c.started_at < ?
         AND (c.session_id IS NULL OR c.attribution->>'method' = 'caller_history')
       ORDER BY c.started_at DESC, c.id DESC`,
      [scope.accountId, scope.siteId, scope.lo, scope.hi],
    )) as { rows: Row[] };
    return res.rows.map((r) => ({
      callId: r.id,
      startedAt: new Date(r.started_at),
      trackingNumber: r.tracking_e164,
      caller: r.caller,
      channelId: r.channel_id,
      sessionId: r.session_id,
      method: r.method ?? 'channel',
      ...reasonOf(r),
    }));
  }
}

function reasonOf(r: Row): { reason: NoSessionReason; detail: string } {
  if (r.method === 'caller_history')
    return { reason: 'caller_history', detail: "matched to the caller's earlier visitor, not to a lease of the number" };
  if (r.method === 'manual') return { reason: 'manual', detail: 'a user set the call to its channel only' };
  if (r.bot_candidate) return { reason: 'bot_gated', detail: 'the only visits that had the number were flagged as bots' };
  if (r.is_fallback) return { reason: 'pool_exhausted', detail: "the call reached a pool's fallback number, shown when every pool number was taken" };
  if (r.is_canonical && r.bot_nearby)
    return {
      reason: 'bot_gated',
      detail: `the site's own number, shown to a visit flagged as a bot in the ${BOT_SEEN_WINDOW_MINUTES} minutes before`,
    };
  if (r.pool_kind === 'static' || (r.has_number && r.pool_kind === null))
    return { reason: 'static_number', detail: 'a static number stands for a channel, never for one visit' };
  return {
    reason: 'no_lease',
    detail: r.candidates
      ? `no lease covered the call; ${r.candidates} weaker candidate(s) kept as evidence`
      : 'no lease or tel: click of the number covered the call',
  };
}
