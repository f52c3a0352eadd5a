import type { Knex } from 'knex';
import type {
  CurrentHolder,
  LeaseOutcome,
  LeasePool,
  LeaseRequest,
  NumberLeaseStore,
  PoolNumber,
  PoolOccupancy,
  ReleaseReason,
} from '../../features/number-pools/number-lease-store-type.js';
import { newId } from '../../shared/ids.js';
import type { Db, DbOrTrx } from './knex.js';
import type { NumberLeaseStateRow } from './number-lease-state-row.js';

/**
 * The lease engine on SQL (PostgreSQL or PGlite): live state in `number_lease_state`, history in `number_leases`,
 * both written in one transaction, so the history can never lag or lose a row.
 *
 * Candidates are locked with `FOR UPDATE SKIP LOCKED` so concurrent leases take different numbers in parallel.
 * Under contention SKIP LOCKED can return no row although a free one exists (it was locked by a transaction that
 * then did not take it, or re-checked after a concurrent update); before answering "blocked" the lease is retried
 * once with a waiting `FOR UPDATE`, which re-evaluates each locked row after its holder commits and moves on to the
 * next one. Unique, deadlock and serialization conflicts (two leases for one session at once) are retried too.
 */

const STATE = 'number_lease_state';
const HISTORY = 'number_leases';
const RETRYABLE = new Set(['23505', '40P01', '40001']);
const MAX_ATTEMPTS = 5;
const EXPIRE_ON_LEASE = 20;
const SWEEP_LIMIT = 500;

type StateRow = NumberLeaseStateRow;

type LeasedRow = StateRow & { lease_id: string; session_id: string; leased_at: Date; last_seen_at: Date; expires_at: Date };

const isLeased = (r: StateRow): r is LeasedRow => r.lease_id !== null;
const holdOf = (pool: LeasePool): number => pool.policy.activeWindowMs + pool.policy.holdMs;
const toHolder = (row: LeasedRow): CurrentHolder => ({
  leaseId: row.lease_id,
  sessionId: row.session_id,
  visitorId: row.visitor_id,
  poolId: row.pool_id,
  leasedAt: row.leased_at,
  lastSeenAt: row.last_seen_at,
  reclaimed: row.reclaimed_from !== null,
});

export class SqlNumberLeaseStore implements NumberLeaseStore {
  constructor(private readonly db: Db) {}

  async lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const wait = attempt > 1;
        const out = await this.db.transaction((trx) => this.leaseIn(trx, pool, req, wait));
        if (out) return out;
        if (wait) return { kind: 'blocked' };
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
  }

  /** One attempt; null means "nothing found while skipping locked rows": the caller retries waiting for locks. */
  private async leaseIn(trx: Knex.Transaction, pool: LeasePool, req: LeaseRequest, wait: boolean): Promise<LeaseOutcome | null> {
    const now = new Date(req.now);
    const expiresAt = new Date(req.now + holdOf(pool));
    const own = (await trx(STATE).where({ pool_id: pool.id, session_id: req.sessionId }).whereNotNull('lease_id').forUpdate().first()) as
      | LeasedRow
      | undefined;
    if (own && own.expires_at > now) {
      await trx(STATE).where({ tracking_number_id: own.tracking_number_id }).update({ last_seen_at: now, expires_at: expiresAt });
      return this.outcome(own, 'renewed', expiresAt);
    }
    if (own) await this.close(trx, own, own.expires_at, 'expired');

    const lock = <T extends Knex.QueryBuilder>(q: T): T => (wait ? q.forUpdate() : q.forUpdate().skipLocked()) as T;
    const base = () => trx(STATE).where({ pool_id: pool.id, leasable: true });
    // Leases past their hold become free rows first (released at their expiry), so the free-number query stays on
    // its index; the sweep job does the same for pools nobody asks for.
    await this.expireDue(trx, pool.id, now, EXPIRE_ON_LEASE, wait);

    if (pool.policy.sticky && req.visitorId) {
      const sticky = (await lock(base().whereNull('lease_id').where({ last_visitor_id: req.visitorId }).orderBy('released_at', 'desc')).first()) as
        | StateRow
        | undefined;
      if (sticky) return this.take(trx, pool, sticky, req, 'sticky', null);
    }

    // Idle longest first: released longest ago, a lapsed lease counting from its holder's last heartbeat (the
    // visitor left then; the hold only kept the number theirs). New numbers start at the epoch.
    const free = (await lock(
      base()
        .whereNull('lease_id')
        .orderBy([{ column: 'released_at' }, { column: 'tracking_number_id' }]),
    ).first()) as StateRow | undefined;
    if (free) return this.take(trx, pool, free, req, 'free', null);

    // Holders inactive past the active window: last seen before now - active, i.e. expiring before now + hold.
    // Expired ones the step above could not take (locked, or more than its batch) are free, not reclaimed.
    const idle = (await lock(
      base()
        .whereNotNull('lease_id')
        .where('expires_at', '<', new Date(req.now + pool.policy.holdMs))
        .orderBy('expires_at'),
    ).first()) as LeasedRow | undefined;
    if (idle && idle.expires_at <= now) {
      await this.close(trx, idle, idle.expires_at, 'expired');
      return this.take(trx, pool, idle, req, 'free', null);
    }
    if (idle && pool.policy.reclaim) {
      await this.close(trx, idle, now, 'reclaimed');
      return this.take(trx, pool, idle, req, 'reclaimed', idle.lease_id);
    }
    return null;
  }

  private async take(
    trx: Knex.Transaction,
    pool: LeasePool,
    row: StateRow,
    req: LeaseRequest,
    how: 'sticky' | 'free' | 'reclaimed',
    reclaimedFrom: string | null,
  ): Promise<LeaseOutcome> {
    const leaseId = newId();
    const now = new Date(req.now);
    const expiresAt = new Date(req.now + holdOf(pool));
    await trx(STATE).where({ tracking_number_id: row.tracking_number_id }).update({
      lease_id: leaseId,
      session_id: req.sessionId,
      visitor_id: req.visitorId,
      leased_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      reclaimed_from: reclaimedFrom,
    });
    await trx(HISTORY).insert({
      id: leaseId,
      account_id: row.account_id,
      pool_id: pool.id,
      tracking_number_id: row.tracking_number_id,
      e164: row.e164,
      session_id: req.sessionId,
      visitor_id: req.visitorId,
      leased_at: now,
      reclaimed_from: reclaimedFrom,
    });
    return {
      kind: 'leased',
      leaseId,
      trackingNumberId: row.tracking_number_id,
      e164: row.e164,
      leasedAt: req.now,
      expiresAt: expiresAt.getTime(),
      how,
      reclaimedFrom,
    };
  }

  private outcome(row: LeasedRow, how: 'renewed', expiresAt: Date): LeaseOutcome {
    return {
      kind: 'leased',
      leaseId: row.lease_id,
      trackingNumberId: row.tracking_number_id,
      e164: row.e164,
      leasedAt: row.leased_at.getTime(),
      expiresAt: expiresAt.getTime(),
      how,
      reclaimedFrom: row.reclaimed_from,
    };
  }

  /**
   * Ends a lease in the state and in the history; `at` never precedes the lease start. The state's `released_at` is
   * the free-number order: when the holder was last seen for a lease that lapsed or was reclaimed, else the release.
   */
  private async close(trx: Knex.Transaction, row: LeasedRow, at: Date, reason: ReleaseReason): Promise<void> {
    const releasedAt = at < row.leased_at ? row.leased_at : at;
    const idleSince = reason === 'expired' || reason === 'reclaimed' ? row.last_seen_at : releasedAt;
    await trx(STATE).where({ tracking_number_id: row.tracking_number_id, lease_id: row.lease_id }).update({
      lease_id: null,
      session_id: null,
      visitor_id: null,
      leased_at: null,
      last_seen_at: null,
      expires_at: null,
      reclaimed_from: null,
      released_at: idleSince,
      last_visitor_id: row.visitor_id,
    });
    await trx(HISTORY).where({ id: row.lease_id }).whereNull('released_at').update({ released_at: releasedAt, release_reason: reason });
  }

  /** Ends up to `limit` leases of the pool whose hold has passed, in one statement; returns how many. */
  private async expireDue(db: DbOrTrx, poolId: string, now: Date, limit: number, wait: boolean): Promise<number> {
    const r = await db.raw(
      `with due as (
         select tracking_number_id, lease_id, greatest(expires_at, leased_at) as at from ${STATE}
          where pool_id = ? and lease_id is not null and expires_at <= ?
          order by expires_at limit ? for update${wait ? '' : ' skip locked'}),
       st as (
         update ${STATE} s set lease_id = null, session_id = null, visitor_id = null, leased_at = null, last_seen_at = null,
                expires_at = null, reclaimed_from = null, released_at = s.last_seen_at, last_visitor_id = s.visitor_id
           from due where s.tracking_number_id = due.tracking_number_id returning s.tracking_number_id),
       hist as (
         update ${HISTORY} h set released_at = due.at, release_reason = 'expired'
           from due where h.id = due.lease_id and h.released_at is null returning h.id)
       select count(*)::int as n from st`,
      [poolId, now, limit],
    );
    return (r.rows[0] as { n: number } | undefined)?.n ?? 0;
  }

  async heartbeat(pool: LeasePool, sessionId: string, now: number): Promise<number | null> {
    const expiresAt = new Date(now + holdOf(pool));
    const rows = await this.db(STATE)
      .where({ pool_id: pool.id, session_id: sessionId })
      .whereNotNull('lease_id')
      .where('expires_at', '>', new Date(now))
      .update({ last_seen_at: new Date(now), expires_at: expiresAt })
      .returning(['tracking_number_id']);
    return rows.length ? expiresAt.getTime() : null;
  }

  release(pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const own = (await trx(STATE).where({ pool_id: pool.id, session_id: sessionId }).whereNotNull('lease_id').forUpdate().first()) as
        | LeasedRow
        | undefined;
      if (!own) return false;
      const at = new Date(now);
      if (own.expires_at <= at) await this.close(trx, own, own.expires_at, 'expired');
      else await this.close(trx, own, at, reason);
      return true;
    });
  }

  sweep(pool: LeasePool, now: number): Promise<number> {
    return this.db.transaction((trx) => this.expireDue(trx, pool.id, new Date(now), SWEEP_LIMIT, false));
  }

  syncPool(pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void> {
    return this.db.transaction(async (trx) => {
      const wanted = new Map(numbers.map((n) => [n.trackingNumberId, n]));
      const ids = [...wanted.keys()];
      const existing = (await trx(STATE)
        .where({ pool_id: pool.id })
        .modify((q) => {
          if (ids.length) q.orWhereIn('tracking_number_id', ids);
        })
        .orderBy('tracking_number_id')
        .forUpdate()) as StateRow[];
      const kept = new Set<string>();
      for (const row of existing) {
        const n = wanted.get(row.tracking_number_id);
        if (n && row.pool_id === pool.id) {
          kept.add(row.tracking_number_id);
          await trx(STATE)
            .where({ tracking_number_id: row.tracking_number_id })
            .update({ e164: n.e164, leasable: n.status === 'active' });
          continue;
        }
        if (isLeased(row)) await this.close(trx, row, new Date(Math.min(now, row.expires_at.getTime())), 'admin');
        await trx(STATE).where({ tracking_number_id: row.tracking_number_id }).del();
      }
      const fresh = numbers.filter((n) => !kept.has(n.trackingNumberId));
      if (fresh.length) {
        await trx(STATE).insert(
          fresh.map((n) => ({
            tracking_number_id: n.trackingNumberId,
            account_id: pool.accountId,
            pool_id: pool.id,
            e164: n.e164,
            leasable: n.status === 'active',
          })),
        );
      }
    });
  }

  async currentHolder(e164: string, at: number): Promise<CurrentHolder | null> {
    const t = new Date(at);
    const row = (await this.db(STATE)
      .where({ e164 })
      .whereNotNull('lease_id')
      .where('leased_at', '<=', t)
      .where('expires_at', '>', t)
      .orderBy('leased_at', 'desc')
      .first()) as LeasedRow | undefined;
    return row ? toHolder(row) : null;
  }

  /** The same query as `currentHolder` once per item, in one statement (a LATERAL join over the items as JSON). */
  async currentHolders(items: readonly { e164: string; at: number }[]): Promise<(CurrentHolder | null)[]> {
    const out: (CurrentHolder | null)[] = items.map(() => null);
    if (!items.length) return out;
    const { rows } = (await this.db.raw(
      `SELECT q.i AS q_i, s.* FROM jsonb_to_recordset(?::jsonb) AS q(i int, e164 text, at timestamptz)
       CROSS JOIN LATERAL (SELECT * FROM ${STATE} s WHERE s.e164 = q.e164 AND s.lease_id IS NOT NULL
         AND s.leased_at <= q.at AND s.expires_at > q.at ORDER BY s.leased_at DESC LIMIT 1) s`,
      [JSON.stringify(items.map((it, i) => ({ i, e164: it.e164, at: new Date(it.at) })))],
    )) as { rows: (LeasedRow & { q_i: number })[] };
    for (const r of rows) out[r.q_i] = toHolder(r);
    return out;
  }

  async occupancy(pool: LeasePool, now: number): Promise<PoolOccupancy> {
    const row = (await this.db(STATE)
      .where({ pool_id: pool.id })
      .select(
        this.db.raw('count(*)::int as size'),
        this.db.raw('count(*) filter (where leasable)::int as leasable'),
        this.db.raw('count(*) filter (where lease_id is not null and expires_at > ?)::int as in_use', [new Date(now)]),
      )
      .first()) as { size: number; leasable: number; in_use: number };
    return { size: row.size, leasable: row.leasable, inUse: row.in_use };
  }

  async flushHistory(): Promise<number> {
    return 0;
  }
}
