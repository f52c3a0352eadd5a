import type { Db } from '../../adapters/db/knex.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import { DEFAULT_LEASE_POLICY } from './number-lease-store-type.js';
import type {
  CurrentHolder,
  LeaseHolds,
  LeaseOutcome,
  LeasePool,
  LeaseRequest,
  NumberLeaseStore,
  PoolOccupancy,
  ReleaseReason,
} from './number-lease-store-type.js';
import type { PoolMetrics } from './pool-metrics.js';
import type { Pool, PoolStore } from './pool-store-type.js';

const REBUILD_EVERY_MS = 10_000;

/** What happened in a pool since the last health sample (per process; samples add up across replicas). */
export interface PoolCounters {
  leases: number;
  blocked: number;
  reclaims: number;
}

export const toLeasePool = (p: Pick<Pool, 'id' | 'accountId' | 'settings'>): LeasePool => ({
  id: p.id,
  accountId: p.accountId,
  policy: {
    activeWindowMs: p.settings.activeWindowSeconds * 1000,
    holdMs: p.settings.holdSeconds * 1000,
    sticky: p.settings.sticky,
    reclaim: p.settings.reclaim,
  },
});

/**
 * The lease engine as the rest of the gateway sees it: session pools' numbers leased, renewed and released through
 * whichever `NumberLeaseStore` the composition root picked, with the pools' live numbers kept in sync with SQL.
 */
export class NumberLeaseService {
  private readonly counters = new Map<string, PoolCounters>();
  private readonly rebuiltAt = new Map<string, number>();

  constructor(
    private readonly deps: {
      db: Db;
      pools: PoolStore;
      numbers: TrackingNumberStore;
      leases: NumberLeaseStore;
      metrics: PoolMetrics;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /**
   * A pool without numbers also answers "missing"; at most one rebuild per pool every 10 s keeps such a pool's
   * widget traffic from costing a SQL read per request.
   */
  private mayRebuild(poolId: string): boolean {
    const now = this.deps.clock.nowMs();
    const last = this.rebuiltAt.get(poolId);
    if (last !== undefined && now - last < REBUILD_EVERY_MS) return false;
    if (this.rebuiltAt.size > 10_000) this.rebuiltAt.clear();
    this.rebuiltAt.set(poolId, now);
    return true;
  }

  private count(poolId: string): PoolCounters {
    let c = this.counters.get(poolId);
    if (!c) {
      c = { leases: 0, blocked: 0, reclaims: 0 };
      this.counters.set(poolId, c);
    }
    return c;
  }

  /** True when the store counts holding caps in the lease (`holds` below): one round trip instead of three. */
  get countsHolds(): boolean {
    return this.deps.leases.countsHolds === true;
  }

  async lease(pool: Pool, sessionId: string, visitorId: string | null, holds?: LeaseHolds, minted?: LeaseRequest['minted']): Promise<LeaseOutcome> {
    const req = () => ({ sessionId, visitorId, now: this.deps.clock.nowMs(), ...(holds ? { holds } : {}), ...(minted ? { minted } : {}) });
    let out = await this.deps.leases.lease(toLeasePool(pool), req());
    if (out.kind === 'blocked' && out.poolMissing && this.mayRebuild(pool.id)) {
      // The live state lost the pool (keys evicted or deleted): rebuild it from SQL and try once more.
      this.deps.logger.warn({ poolId: pool.id }, 'lease store had no numbers for a session pool: rebuilt from SQL');
      await this.syncPool(pool.accountId, pool.id);
      out = await this.deps.leases.lease(toLeasePool(pool), req());
    }
    if (out.kind === 'blocked' && out.capped) {
      this.capped(pool, out.capped);
      return out;
    }
    const c = this.count(pool.id);
    if (out.kind === 'blocked') {
      c.blocked += 1;
      this.deps.metrics.blocked(pool.id);
      this.deps.metrics.leaseOp(pool.id, 'lease', 'blocked');
      return out;
    }
    if (out.how !== 'renewed') c.leases += 1;
    if (out.how === 'reclaimed') {
      c.reclaims += 1;
      this.deps.metrics.reclaimed(pool.id);
    }
    this.deps.metrics.leaseOp(pool.id, 'lease', out.how);
    return out;
  }

  /** A lease refused (or a heartbeat not extended) by a holding cap: counted apart from exhaustion, which sizes pools. */
  capped(pool: Pool, why: 'visitor' | 'address' | 'age'): void {
    this.deps.metrics.leaseOp(pool.id, why === 'age' ? 'heartbeat' : 'lease', `capped_${why}`);
  }

  async heartbeat(pool: Pool, sessionId: string): Promise<number | null> {
    const r = await this.deps.leases.heartbeat(toLeasePool(pool), sessionId, this.deps.clock.nowMs());
    this.deps.metrics.leaseOp(pool.id, 'heartbeat', r === null ? 'none' : 'ok');
    return r;
  }

  async release(pool: Pool, sessionId: string, reason: ReleaseReason): Promise<boolean> {
    const r = await this.deps.leases.release(toLeasePool(pool), sessionId, this.deps.clock.nowMs(), reason);
    this.deps.metrics.leaseOp(pool.id, 'release', r ? 'ok' : 'none');
    return r;
  }

  currentHolder(e164: string, at: Date): Promise<CurrentHolder | null> {
    return this.deps.leases.currentHolder(e164, at.getTime());
  }

  /** `currentHolder` for many, in order: one round trip where the store can, else all asked at once. */
  currentHolders(items: readonly { e164: string; at: Date }[]): Promise<(CurrentHolder | null)[]> {
    const { leases } = this.deps;
    const asked = items.map((it) => ({ e164: it.e164, at: it.at.getTime() }));
    return leases.currentHolders ? leases.currentHolders(asked) : Promise.all(asked.map((it) => leases.currentHolder(it.e164, it.at)));
  }

  async occupancy(pool: Pool): Promise<PoolOccupancy> {
    return this.deps.leases.occupancy(toLeasePool(pool), this.deps.clock.nowMs());
  }

  /**
   * Makes the live state of a pool match SQL: its active and paused numbers when it is a session pool, nothing
   * when it is static or gone (its leases end with reason admin).
   */
  async syncPool(accountId: string, poolId: string): Promise<void> {
    const sync = async (): Promise<void> => {
      const pool = await this.deps.pools.getAny(this.deps.db, poolId);
      const numbers = pool?.kind === 'session' ? await this.deps.numbers.listByPool(this.deps.db, poolId) : [];
      const live = numbers.flatMap((n) =>
        n.status === 'active' || n.status === 'paused' ? [{ trackingNumberId: n.id, e164: n.e164, status: n.status }] : [],
      );
      const leasePool = pool ? toLeasePool(pool) : { id: poolId, accountId, policy: DEFAULT_LEASE_POLICY };
      await this.deps.leases.syncPool(leasePool, live, this.deps.clock.nowMs());
    };
    // Read and written under the pool's sync lock: two syncs at once (two replicas, a change during the resync)
    // would otherwise each write their own read, chunk by chunk, and could leave a mix of the two.
    const leases = this.deps.leases;
    await (leases.exclusiveSync ? leases.exclusiveSync(poolId, sync) : sync());
  }

  /** At start: the live state may be older than SQL (Redis restarted, changes made while down). */
  async syncAll(): Promise<void> {
    for (const pool of await this.deps.pools.listAll(this.deps.db, { kind: 'session' })) await this.syncPool(pool.accountId, pool.id);
  }

  /** Ends the leases whose hold has passed and refreshes the occupancy gauges. */
  async sweepAll(): Promise<number> {
    let ended = 0;
    const now = this.deps.clock.nowMs();
    for (const pool of await this.deps.pools.listAll(this.deps.db, { kind: 'session' })) {
      const lp = toLeasePool(pool);
      ended += await this.deps.leases.sweep(lp, now);
      const occ = await this.deps.leases.occupancy(lp, now);
      this.deps.metrics.occupancy(pool.id, occ.size, occ.inUse);
    }
    return ended;
  }

  flushHistory(): Promise<number> {
    return this.deps.leases.flushHistory();
  }

  /** Hands over and resets what was counted since the last call. */
  takeCounters(): Map<string, PoolCounters> {
    const out = new Map(this.counters);
    this.counters.clear();
    return out;
  }
}
