import type { DbOrTrx } from '../../adapters/db/knex.js';
import { LAST_HOLDER_WINDOW_MS, OPEN_TAP_WINDOW_MS, TEL_CLICK_WINDOW_MS } from './attribution-matcher.js';
import { CALLER_HISTORY_DAYS, assembleEvidence, evidenceSessionIds } from './attribution-read-model.js';
import type { NumberContext } from './attribution-read-model.js';
import type { AttributionEvidence, LeaseRecord, LiveHolder } from './attribution-types.js';

/** One call of a batch to attribute: what `AttributionReadModel.evidence` takes for it. */
export interface EvidenceQuery {
  readonly ctx: NumberContext;
  readonly e164: string;
  readonly caller: string;
  readonly at: Date;
  readonly live: LiveHolder | null;
}

/** A call of the same batch written before this one: what the one-by-one queries would find of it in `calls`. */
export interface EarlierCall {
  readonly accountId: string;
  readonly siteId: string | null;
  readonly caller: string;
  readonly startedAt: Date;
  readonly sessionId: string | null;
  readonly visitorId: string | null;
}

interface Tap {
  session_id: string;
  visitor_id: string | null;
  clicked_at: Date;
}
interface LeaseRow {
  session_id: string;
  visitor_id: string | null;
  leased_at: Date;
  released_at: Date | null;
  reclaimed_from: string | null;
}
interface Session {
  visitorId: string;
  channelId: string | null;
}

const OPEN_TAPS = 10;
const DAY_MS = 86_400_000;

/**
 * Runs `inner` once per parameter row in ONE statement (a LATERAL join over the rows given as JSON: knex expands a
 * JS array binding into a list, so a JSON document is the one way to bind a table of parameters), grouped by row.
 * Each row's result is exactly what the per-call query with those parameters returns, LIMIT included.
 */
export async function perRow<R>(db: DbOrTrx, columns: string, params: readonly Record<string, unknown>[], inner: string): Promise<R[][]> {
  const out: R[][] = params.map(() => []);
  if (!params.length) return out;
  const rows = (
    (await db.raw(`SELECT q.i AS q_i, x.* FROM jsonb_to_recordset(?::jsonb) AS q(i int, ${columns}) CROSS JOIN LATERAL (${inner}) x`, [
      JSON.stringify(params.map((p, i) => ({ ...p, i }))),
    ])) as { rows: (R & { q_i: number })[] }
  ).rows;
  for (const r of rows) out[r.q_i]!.push(r);
  return out;
}

/**
 * The attribution evidence of many calls with a few set queries instead of seven or so per call. The queries see
 * the database as it was before the batch; `evidence(i, earlier)` adds what the batch's own earlier calls change
 * (open taps they answered, the caller's latest matched visitor), so each call gets the evidence it would have got
 * one by one. What only an earlier call of the batch reveals (another visitor, another session) is read then.
 */
export class BatchEvidence {
  private readonly sessions = new Map<string, Session | null>();
  private readonly visitorSession = new Map<string, string | null>();
  private readonly held = new Map<string, { n: number; until: Date | string | null }>();

  private constructor(
    private readonly db: DbOrTrx,
    private readonly queries: readonly EvidenceQuery[],
    private readonly leases: LeaseRow[][],
    private readonly clicks: Tap[][],
    private readonly taps: Tap[][],
    private readonly tapLimit: number,
    private readonly prevCaller: ({ visitor_id: string; started_at: Date } | undefined)[],
  ) {}

  static async load(db: DbOrTrx, queries: readonly EvidenceQuery[]): Promise<BatchEvidence> {
    const base = queries.map((q) => ({ account_id: q.ctx.accountId, e164: q.e164, at: q.at }));
    const cols = 'account_id text, e164 text, at timestamptz';
    const leases = await perRow<LeaseRow>(
      db,
      `${cols}, since timestamptz`,
      base.map((b, i) => ({ ...b, since: new Date(queries[i]!.at.getTime() - LAST_HOLDER_WINDOW_MS) })),
      `SELECT l.session_id, l.visitor_id, l.leased_at, l.released_at, l.reclaimed_from FROM number_leases l
        WHERE l.account_id = q.account_id AND l.e164 = q.e164 AND l.leased_at <= q.at
          AND (l.released_at IS NULL OR l.released_at >= q.since)
        ORDER BY l.leased_at DESC LIMIT 50`,
    );
    const clicks = await perRow<Tap>(
      db,
      `${cols}, since timestamptz`,
      base.map((b, i) => ({ ...b, since: new Date(queries[i]!.at.getTime() - TEL_CLICK_WINDOW_MS) })),
      `SELECT c.session_id, s.visitor_id, c.clicked_at FROM tel_clicks c LEFT JOIN web_sessions s ON s.id = c.session_id
        WHERE c.account_id = q.account_id AND c.e164 = q.e164 AND c.clicked_at BETWEEN q.since AND q.at
        ORDER BY c.clicked_at DESC LIMIT 10`,
    );
    // The batch's earlier calls may close some of these taps: read enough that, most of the time, ten stay open.
    const tapLimit = OPEN_TAPS + queries.length;
    const taps = await perRow<Tap>(
      db,
      `${cols}, since timestamptz, lim int`,
      base.map((b, i) => ({ ...b, since: new Date(queries[i]!.at.getTime() - OPEN_TAP_WINDOW_MS), lim: tapLimit })),
      OPEN_TAPS_SQL,
    );
    const withHistory = queries.map((q) => q.caller !== 'anonymous' && q.ctx.siteId !== null);
    const prevRows = await perRow<{ visitor_id: string; started_at: Date }>(
      db,
      'account_id text, site_id text, caller text, at timestamptz',
      queries.flatMap((q, i) => (withHistory[i] ? [{ account_id: q.ctx.accountId, site_id: q.ctx.siteId, caller: q.caller, at: q.at }] : [])),
      `SELECT k.visitor_id, k.started_at FROM calls k
        WHERE k.account_id = q.account_id AND k.site_id = q.site_id AND k.caller = q.caller
          AND k.visitor_id IS NOT NULL AND k.started_at < q.at
        ORDER BY k.started_at DESC LIMIT 1`,
    );
    let j = 0;
    const prevCaller = queries.map((_, i) => (withHistory[i] ? prevRows[j++]![0] : undefined));
    const reads = new BatchEvidence(db, queries, leases, clicks, taps, tapLimit, prevCaller);
    await reads.loadHistory(queries.flatMap((q, i) => (prevCaller[i] ? [{ q, visitorId: prevCaller[i].visitor_id }] : [])));
    const ids = new Map<string, Set<string>>();
    queries.forEach((q, i) => {
      const set = ids.get(q.ctx.accountId) ?? new Set<string>();
      ids.set(q.ctx.accountId, set);
      for (const r of [...leases[i]!, ...clicks[i]!, ...taps[i]!]) set.add(r.session_id);
      if (q.live) set.add(q.live.sessionId);
      const p = prevCaller[i];
      const s = p ? reads.visitorSession.get(visitorKey(q, p.visitor_id)) : null;
      if (s) set.add(s);
    });
    for (const [accountId, set] of ids) await reads.loadSessions(accountId, [...set]);
    return reads;
  }

  /** Call `i`'s evidence, given the calls of the batch written before it (in order). */
  async evidence(i: number, earlier: readonly EarlierCall[]): Promise<AttributionEvidence> {
    const q = this.queries[i]!;
    const { ctx, at, live } = q;
    const mine = earlier.filter((k) => k.accountId === ctx.accountId && k.startedAt < at);
    const leases: LeaseRecord[] = this.leases[i]!.map((r) => ({
      sessionId: r.session_id,
      visitorId: r.visitor_id,
      leasedAt: r.leased_at,
      releasedAt: r.released_at,
      reclaimed: r.reclaimed_from !== null,
    }));
    const clickRows = this.clicks[i]!;
    let openRows = await this.openTaps(i, mine);

    let callerHistory: AttributionEvidence['callerHistory'] = null;
    if (q.caller !== 'anonymous' && ctx.siteId) {
      let prev = this.prevCaller[i];
      for (const k of mine)
        if (k.siteId === ctx.siteId && k.caller === q.caller && k.visitorId && (!prev || k.startedAt > prev.started_at))
          prev = { visitor_id: k.visitorId, started_at: k.startedAt };
      if (prev) {
        const key = visitorKey(q, prev.visitor_id);
        if (!this.visitorSession.has(key)) await this.loadHistory([{ q, visitorId: prev.visitor_id }]);
        const sessionId = this.visitorSession.get(key);
        if (sessionId) {
          const held = this.held.get(key);
          const heldNumber = Boolean(held && held.n > 0);
          callerHistory = {
            visitorId: prev.visitor_id,
            sessionId,
            heldNumber,
            heldUntil: heldNumber && held?.until ? new Date(held.until) : null,
          };
        }
      }
    }
    openRows = openRows.slice(0, OPEN_TAPS);

    const parts = { at, ctx, live, leases, clickRows, openRows, callerHistory };
    const ids = evidenceSessionIds(parts);
    const unknown = ids.filter((id) => !this.sessions.has(sessionKey(ctx.accountId, id)));
    if (unknown.length) await this.loadSessions(ctx.accountId, unknown);
    const sessions = new Map<string, { visitorId: string; channelId: string | null }>();
    for (const id of ids) {
      const s = this.sessions.get(sessionKey(ctx.accountId, id));
      if (s) sessions.set(id, s);
    }
    return assembleEvidence(parts, sessions);
  }

  /** Taps still open at the call: a call of the batch matched to the tapper since the tap closes it. */
  private async openTaps(i: number, mine: readonly EarlierCall[]): Promise<Tap[]> {
    const open = (rows: readonly Tap[]) =>
      rows.filter((c) => !mine.some((k) => k.sessionId === c.session_id && k.startedAt >= new Date(c.clicked_at)));
    const rows = open(this.taps[i]!);
    if (rows.length >= OPEN_TAPS || this.taps[i]!.length < this.tapLimit) return rows;
    // Earlier calls closed more taps than the margin read: read them all for this call.
    const q = this.queries[i]!;
    const [all] = await perRow<Tap>(
      this.db,
      'account_id text, e164 text, at timestamptz, since timestamptz, lim int',
      [{ account_id: q.ctx.accountId, e164: q.e164, at: q.at, since: new Date(q.at.getTime() - OPEN_TAP_WINDOW_MS), lim: null }],
      OPEN_TAPS_SQL,
    );
    return open(all!);
  }

  /** The visitors' latest recent sessions on the site and when they held the number (caller history). */
  private async loadHistory(items: readonly { q: EvidenceQuery; visitorId: string }[]): Promise<void> {
    const fresh = items.filter((it) => !this.visitorSession.has(visitorKey(it.q, it.visitorId)));
    if (!fresh.length) return;
    const sessions = await perRow<{ id: string }>(
      this.db,
      'account_id text, site_id text, visitor_id text, since timestamptz',
      fresh.map(({ q, visitorId }) => ({
        account_id: q.ctx.accountId,
        site_id: q.ctx.siteId,
        visitor_id: visitorId,
        since: new Date(q.at.getTime() - CALLER_HISTORY_DAYS * DAY_MS),
      })),
      `SELECT s.id FROM web_sessions s
        WHERE s.account_id = q.account_id AND s.site_id = q.site_id AND s.visitor_id = q.visitor_id AND s.last_seen_at >= q.since
        ORDER BY s.last_seen_at DESC LIMIT 1`,
    );
    const held = await perRow<{ n: number; until: Date | string | null }>(
      this.db,
      'account_id text, visitor_id text, e164 text, at timestamptz',
      fresh.map(({ q, visitorId }) => ({ account_id: q.ctx.accountId, visitor_id: visitorId, e164: q.e164, at: q.at })),
      `SELECT count(*)::int AS n, max(least(coalesce(l.released_at, q.at), q.at)) AS until FROM number_leases l
        WHERE l.account_id = q.account_id AND l.visitor_id = q.visitor_id AND l.e164 = q.e164 AND l.leased_at <= q.at`,
    );
    fresh.forEach((it, j) => {
      const key = visitorKey(it.q, it.visitorId);
      this.visitorSession.set(key, sessions[j]![0]?.id ?? null);
      this.held.set(key, held[j]![0] ?? { n: 0, until: null });
    });
  }

  private async loadSessions(accountId: string, ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    const rows = (await this.db('web_sessions')
      .select('id', 'visitor_id', 'channel_id')
      .where('account_id', accountId)
      .whereIn('id', [...ids])) as { id: string; visitor_id: string; channel_id: string | null }[];
    for (const id of ids) this.sessions.set(sessionKey(accountId, id), null);
    for (const r of rows) this.sessions.set(sessionKey(accountId, r.id), { visitorId: r.visitor_id, channelId: r.channel_id });
  }
}

const OPEN_TAPS_SQL = `SELECT c.session_id, s.visitor_id, c.clicked_at FROM tel_clicks c LEFT JOIN web_sessions s ON s.id = c.session_id
  WHERE c.account_id = q.account_id AND c.e164 = q.e164 AND c.clicked_at BETWEEN q.since AND q.at
    AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.account_id = q.account_id AND k.session_id = c.session_id
                      AND k.started_at >= c.clicked_at AND k.started_at < q.at)
  ORDER BY c.clicked_at DESC LIMIT q.lim`;

// The held figures depend on the number and the call time too; the session only on the site and the day.
const visitorKey = (q: EvidenceQuery, visitorId: string) => `${q.ctx.accountId}|${q.ctx.siteId}|${visitorId}|${q.e164}|${q.at.getTime()}`;
const sessionKey = (accountId: string, id: string) => `${accountId}|${id}`;
