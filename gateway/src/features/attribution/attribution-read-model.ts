import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { AttributionEvidence, LeaseRecord, LiveHolder, LiveLeaseLookup } from './attribution-types.js';
import { LAST_HOLDER_WINDOW_MS, OPEN_TAP_WINDOW_MS, TEL_CLICK_WINDOW_MS } from './attribution-matcher.js';

/** Where a tracking number belongs: its site, pool and channel. */
export interface NumberContext {
  readonly trackingNumberId: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly poolId: string | null;
  readonly poolKind: 'session' | 'static' | null;
  readonly channelId: string | null;
  readonly forwardTo: string | null;
}

/** How far back a caller's earlier visitor is looked for (their latest session on the site). */
export const CALLER_HISTORY_DAYS = 30;

/** Loads the evidence the matcher needs: live lease state first, history from SQL (number_leases, tel_clicks, calls). */
/** A tel: tap or click row as read. */
export interface TapRow {
  readonly session_id: string;
  readonly visitor_id: string | null;
  readonly clicked_at: Date;
}

/** What a call's evidence is made of before its sessions' visitors and channels are known. */
export interface EvidenceParts {
  readonly at: Date;
  readonly ctx: NumberContext;
  readonly live: LiveHolder | null;
  readonly leases: readonly LeaseRecord[];
  readonly clickRows: readonly TapRow[];
  readonly openRows: readonly TapRow[];
  readonly callerHistory: AttributionEvidence['callerHistory'];
}

/** The sessions the evidence names: their visitors and channels complete it. */
export function evidenceSessionIds(p: EvidenceParts): string[] {
  const ids = new Set<string>([...p.leases.map((l) => l.sessionId), ...p.clickRows.map((c) => c.session_id), ...p.openRows.map((c) => c.session_id)]);
  if (p.live) ids.add(p.live.sessionId);
  if (p.callerHistory) ids.add(p.callerHistory.sessionId);
  return [...ids];
}

/** The evidence, with the visitor of each lease and live holder filled in from its session where the lease had none. */
export function assembleEvidence(
  p: EvidenceParts,
  sessions: ReadonlyMap<string, { readonly visitorId: string; readonly channelId: string | null }>,
): AttributionEvidence {
  const visitorOf = (id: string): string | null => sessions.get(id)?.visitorId ?? null;
  return {
    at: p.at,
    poolKind: p.ctx.poolKind,
    numberChannelId: p.ctx.channelId,
    live: p.live ? { ...p.live, visitorId: p.live.visitorId ?? visitorOf(p.live.sessionId) } : null,
    leases: p.leases.map((l) => ({ ...l, visitorId: l.visitorId ?? visitorOf(l.sessionId) })),
    telClicks: p.clickRows.map((c) => ({ sessionId: c.session_id, visitorId: c.visitor_id, clickedAt: c.clicked_at })),
    openTaps: p.openRows.map((c) => ({ sessionId: c.session_id, visitorId: c.visitor_id, clickedAt: c.clicked_at })),
    callerHistory: p.callerHistory,
    sessionChannels: new Map([...sessions].map(([id, s]) => [id, s.channelId] as const)),
  };
}

export class AttributionReadModel {
  constructor(private readonly live: LiveLeaseLookup) {}

  async numberContext(db: DbOrTrx, e164: string): Promise<NumberContext | null> {
    return (await this.numberContexts(db, [e164])).get(e164) ?? null;
  }

  /** The numbers' contexts in one query (a batch of calls); numbers no account holds are absent. */
  async numberContexts(db: DbOrTrx, e164s: readonly string[]): Promise<Map<string, NumberContext>> {
    if (!e164s.length) return new Map();
    const rows = (await db('tracking_numbers as n')
      .leftJoin('pools as p', 'p.id', 'n.pool_id')
      .select(
        'n.id',
        'n.e164',
        'n.account_id',
        'n.site_id',
        'n.pool_id',
        'n.forward_to',
        'p.kind as pool_kind',
        'p.channel_id',
        'p.site_id as pool_site_id',
      )
      .whereIn('n.e164', [...e164s])
      // An unreleased number is unique (tracking_numbers_e164_live_key): one row per number.
      .whereNot('n.status', 'released')) as {
      id: string;
      e164: string;
      account_id: string;
      site_id: string | null;
      pool_id: string | null;
      forward_to: string | null;
      pool_kind: 'session' | 'static' | null;
      channel_id: string | null;
      pool_site_id: string | null;
    }[];
    const out = new Map<string, NumberContext>();
    for (const row of rows) {
      out.set(row.e164, {
        trackingNumberId: row.id,
        accountId: row.account_id,
        siteId: row.site_id ?? row.pool_site_id,
        poolId: row.pool_id,
        poolKind: row.pool_kind,
        channelId: row.channel_id,
        forwardTo: row.forward_to,
      });
    }
    return out;
  }

  /** Who held the number at `at` by the live lease state (none for a static pool). */
  liveHolder(ctx: NumberContext, e164: string, at: Date): Promise<LiveHolder | null> {
    return ctx.poolKind === 'static' ? Promise.resolve(null) : this.live.currentHolder(e164, at);
  }

  /**
   * `liveHolder` for a batch's calls in one lookup, in order: asked one by one, each was a round trip (a query on the
   * SQL lease store), the single largest cost of a batch of new calls (400 of its 800 statements in `bench:apply`).
   */
  async liveHolders(items: readonly { ctx: NumberContext; e164: string; at: Date }[]): Promise<(LiveHolder | null)[]> {
    const out: (LiveHolder | null)[] = items.map(() => null);
    const asked = items.flatMap((it, i) => (it.ctx.poolKind === 'static' ? [] : [{ i, e164: it.e164, at: it.at }]));
    if (!asked.length) return out;
    const holders = await this.live.currentHolders(asked);
    asked.forEach((a, j) => {
      out[a.i] = holders[j] ?? null;
    });
    return out;
  }

  /**
   * `live`: the holder looked up beforehand. A batch applied in one transaction passes it: the lease state may sit
   * in the same database, and a second connection taken while the transaction holds one can starve the pool.
   */
  async evidence(
    db: DbOrTrx,
    ctx: NumberContext,
    e164: string,
    caller: string,
    at: Date,
    known?: { live: LiveHolder | null },
  ): Promise<AttributionEvidence> {
    const t = at.getTime();
    const live = known ? known.live : await this.liveHolder(ctx, e164, at);
    const leaseRows = (await db('number_leases')
      .select('session_id', 'visitor_id', 'leased_at', 'released_at', 'reclaimed_from')
      .where({ account_id: ctx.accountId, e164 })
      .where('leased_at', '<=', at)
      .where((q) => q.whereNull('released_at').orWhere('released_at', '>=', new Date(t - LAST_HOLDER_WINDOW_MS)))
      .orderBy('leased_at', 'desc')
      .limit(50)) as { session_id: string; visitor_id: string | null; leased_at: Date; released_at: Date | null; reclaimed_from: string | null }[];
    const leases: LeaseRecord[] = leaseRows.map((r) => ({
      sessionId: r.session_id,
      visitorId: r.visitor_id,
      leasedAt: r.leased_at,
      releasedAt: r.released_at,
      reclaimed: r.reclaimed_from !== null,
    }));
    const clickRows = (await db('tel_clicks as c')
      .leftJoin('web_sessions as s', 's.id', 'c.session_id')
      .select('c.session_id', 's.visitor_id', 'c.clicked_at')
      .where({ 'c.account_id': ctx.accountId, 'c.e164': e164 })
      .whereBetween('c.clicked_at', [new Date(t - TEL_CLICK_WINDOW_MS), at])
      .orderBy('c.clicked_at', 'desc')
      .limit(10)) as { session_id: string; visitor_id: string | null; clicked_at: Date }[];
    // Taps whose session no call has been matched to since: the tapper may still be about to call.
    const openRows = (await db('tel_clicks as c')
      .leftJoin('web_sessions as s', 's.id', 'c.session_id')
      .select('c.session_id', 's.visitor_id', 'c.clicked_at')
      .where({ 'c.account_id': ctx.accountId, 'c.e164': e164 })
      .whereBetween('c.clicked_at', [new Date(t - OPEN_TAP_WINDOW_MS), at])
      .whereNotExists((q) =>
        q
          .select(db.raw('1'))
          .from('calls as k')
          .where('k.account_id', ctx.accountId)
          .whereRaw('k.session_id = c.session_id')
          .whereRaw('k.started_at >= c.clicked_at')
          .where('k.started_at', '<', at),
      )
      .orderBy('c.clicked_at', 'desc')
      .limit(10)) as { session_id: string; visitor_id: string | null; clicked_at: Date }[];

    let callerHistory: AttributionEvidence['callerHistory'] = null;
    if (caller !== 'anonymous' && ctx.siteId) {
      const prev = (await db('calls')
        .select('visitor_id')
        .where({ account_id: ctx.accountId, site_id: ctx.siteId, caller })
        .whereNotNull('visitor_id')
        .where('started_at', '<', at)
        .orderBy('started_at', 'desc')
        .first()) as { visitor_id: string } | undefined;
      if (prev) {
        const session = (await db('web_sessions')
          .select('id')
          .where({ account_id: ctx.accountId, site_id: ctx.siteId, visitor_id: prev.visitor_id })
          .where('last_seen_at', '>=', new Date(t - CALLER_HISTORY_DAYS * 86_400_000))
          .orderBy('last_seen_at', 'desc')
          .first()) as { id: string } | undefined;
        if (session) {
          // When that visitor last held this number (an open lease: still holds it, so the call time).
          const held = (await db('number_leases')
            .where({ account_id: ctx.accountId, visitor_id: prev.visitor_id, e164 })
            .where('leased_at', '<=', at)
            .select(db.raw('count(*)::int as n'), db.raw('max(least(coalesce(released_at, ?), ?)) as until', [at, at]))
            .first()) as { n: number; until: Date | string | null } | undefined;
          const heldNumber = Boolean(held && held.n > 0);
          callerHistory = {
            visitorId: prev.visitor_id,
            sessionId: session.id,
            heldNumber,
            heldUntil: heldNumber && held?.until ? new Date(held.until) : null,
          };
        }
      }
    }

    const parts = { at, ctx, live, leases, clickRows, openRows, callerHistory };
    const ids = evidenceSessionIds(parts);
    const sessionRows = ids.length
      ? ((await db('web_sessions').select('id', 'visitor_id', 'channel_id').where('account_id', ctx.accountId).whereIn('id', ids)) as {
          id: string;
          visitor_id: string;
          channel_id: string | null;
        }[])
      : [];
    return assembleEvidence(parts, new Map(sessionRows.map((r) => [r.id, { visitorId: r.visitor_id, channelId: r.channel_id }] as const)));
  }

  async session(db: DbOrTrx, accountId: string, id: string): Promise<{ id: string; visitorId: string; channelId: string | null } | null> {
    const row = (await db('web_sessions').select('id', 'visitor_id', 'channel_id').where({ account_id: accountId, id }).first()) as
      | { id: string; visitor_id: string; channel_id: string | null }
      | undefined;
    return row ? { id: row.id, visitorId: row.visitor_id, channelId: row.channel_id } : null;
  }
}
