import type {
  CurrentHolder,
  LeaseOutcome,
  LeasePool,
  LeaseRequest,
  NumberLeaseStore,
  PoolNumber,
  PoolOccupancy,
  ReleaseReason,
} from '../../../gateway/src/features/number-pools/number-lease-store-type.js';

/**
 * The lease engine's rules in process memory, for the pool simulator's sweep over sizes and policies.
 *
 * Why not the SQL or Redis store for the sweep: a default run makes about 15 million lease operations (four
 * policies, dozens of sizes, 100 simulated hours each); the SQL store on PGlite takes ~1 ms and the Redis store
 * ~0.15 ms per operation on this machine, i.e. hours, against about a microsecond here. The simulator replays a slice
 * of the same traffic through the real stores and checks that every outcome is the same (`verify.ts`), so this file
 * may only ever mirror `SqlNumberLeaseStore` / the Redis Lua scripts, never improve on them.
 *
 * `selection` exists for the baselines only: 'lru' is the gateway's order (oldest release first, ties by number),
 * 'mru' the newest release first, 'random' a uniform free number (`pick` draws the index).
 */

export type Selection = 'lru' | 'mru' | 'random';

interface Holder {
  leaseId: string;
  sessionId: string;
  visitorId: string | null;
  leasedAt: number;
  lastSeen: number;
  expiresAt: number;
  reclaimedFrom: string | null;
}

interface Num {
  readonly idx: number;
  readonly trackingNumberId: string;
  readonly e164: string;
  leasable: boolean;
  /** Free-number order: when it was released, or its lapsed holder's last heartbeat. */
  idleSince: number;
  lastVisitorId: string | null;
  holder: Holder | null;
}

/** One lease as `number_leases` stores it. */
export interface LeaseHistoryRecord {
  readonly leaseId: string;
  readonly e164: string;
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly leasedAt: number;
  releasedAt: number | null;
  reason: ReleaseReason | null;
  readonly reclaimed: boolean;
}

const EXPIRE_ON_LEASE = 20;
const SWEEP_LIMIT = 500;

const byRelease = (a: Num, b: Num) => a.idleSince - b.idleSince || (a.trackingNumberId < b.trackingNumberId ? -1 : 1);
const byExpiry = (a: Num, b: Num) => a.holder!.expiresAt - b.holder!.expiresAt || (a.e164 < b.e164 ? -1 : 1);

function insertSorted(list: Num[], n: Num, cmp: (a: Num, b: Num) => number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(list[mid]!, n) < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, n);
}

function remove(list: Num[], n: Num): void {
  const i = list.indexOf(n);
  if (i >= 0) list.splice(i, 1);
}

/** One pool only: the simulator runs one pool per store. */
export class MemoryLeaseStore implements NumberLeaseStore {
  private readonly nums = new Map<string, Num>();
  private free: Num[] = [];
  private busy: Num[] = [];
  private readonly sessions = new Map<string, Num>();
  private readonly byVisitor = new Map<string, Set<Num>>();
  private seq = 0;
  /** Every lease in order, and per number. */
  readonly history: LeaseHistoryRecord[] = [];
  readonly historyByNumber = new Map<string, LeaseHistoryRecord[]>();
  private readonly open = new Map<string, LeaseHistoryRecord>();
  /** Release → next lease of the same number, in ms. */
  readonly reuseGaps: number[] = [];

  constructor(
    private readonly selection: Selection = 'lru',
    private readonly pick: (n: number) => number = () => 0,
  ) {}

  async lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    return this.leaseNow(pool, req);
  }

  /** Synchronous twin of `lease` (the simulator's hot loop avoids a promise per operation). */
  leaseNow(pool: LeasePool, req: LeaseRequest): LeaseOutcome {
    const now = req.now;
    const hold = pool.policy.activeWindowMs + pool.policy.holdMs;
    this.expireDue(now, EXPIRE_ON_LEASE);
    const own = this.sessions.get(req.sessionId);
    if (own?.holder) {
      const h = own.holder;
      if (h.expiresAt > now) {
        remove(this.busy, own);
        h.lastSeen = now;
        h.expiresAt = now + hold;
        insertSorted(this.busy, own, byExpiry);
        return this.outcome(own, 'renewed');
      }
      this.close(own, h.expiresAt, 'expired');
    }
    if (pool.policy.sticky && req.visitorId) {
      let best: Num | null = null;
      for (const n of this.byVisitor.get(req.visitorId) ?? []) {
        if (n.leasable && !n.holder && (!best || n.idleSince > best.idleSince)) best = n;
      }
      if (best) return this.take(best, req, hold, 'sticky', null);
    }
    if (this.free.length) {
      const i = this.selection === 'lru' ? 0 : this.selection === 'mru' ? this.free.length - 1 : this.pick(this.free.length);
      return this.take(this.free[i]!, req, hold, 'free', null);
    }
    const idle = this.busy.find((n) => n.leasable);
    if (idle && idle.holder!.expiresAt < now + pool.policy.holdMs) {
      const h = idle.holder!;
      if (h.expiresAt <= now) {
        this.close(idle, h.expiresAt, 'expired');
        return this.take(idle, req, hold, 'free', null);
      }
      if (pool.policy.reclaim) {
        this.close(idle, now, 'reclaimed');
        return this.take(idle, req, hold, 'reclaimed', h.leaseId);
      }
    }
    return { kind: 'blocked' };
  }

  private outcome(n: Num, how: 'renewed' | 'sticky' | 'free' | 'reclaimed'): LeaseOutcome {
    const h = n.holder!;
    return {
      kind: 'leased',
      leaseId: h.leaseId,
      trackingNumberId: n.trackingNumberId,
      e164: n.e164,
      leasedAt: h.leasedAt,
      expiresAt: h.expiresAt,
      how,
      reclaimedFrom: h.reclaimedFrom,
    };
  }

  private take(n: Num, req: LeaseRequest, hold: number, how: 'sticky' | 'free' | 'reclaimed', from: string | null): LeaseOutcome {
    remove(this.free, n);
    if (n.lastVisitorId && n.lastVisitorId !== req.visitorId) this.byVisitor.get(n.lastVisitorId)?.delete(n);
    this.seq += 1;
    const leaseId = `L${this.seq}`;
    n.holder = {
      leaseId,
      sessionId: req.sessionId,
      visitorId: req.visitorId,
      leasedAt: req.now,
      lastSeen: req.now,
      expiresAt: req.now + hold,
      reclaimedFrom: from,
    };
    insertSorted(this.busy, n, byExpiry);
    this.sessions.set(req.sessionId, n);
    const past = this.historyByNumber.get(n.e164);
    const prev = past?.[past.length - 1];
    if (prev?.releasedAt != null) this.reuseGaps.push(req.now - prev.releasedAt);
    const rec: LeaseHistoryRecord = {
      leaseId,
      e164: n.e164,
      sessionId: req.sessionId,
      visitorId: req.visitorId,
      leasedAt: req.now,
      releasedAt: null,
      reason: null,
      reclaimed: from !== null,
    };
    this.history.push(rec);
    if (past) past.push(rec);
    else this.historyByNumber.set(n.e164, [rec]);
    this.open.set(leaseId, rec);
    return this.outcome(n, how);
  }

  private close(n: Num, at: number, reason: ReleaseReason): void {
    const h = n.holder!;
    const releasedAt = Math.max(at, h.leasedAt);
    remove(this.busy, n);
    n.holder = null;
    if (this.sessions.get(h.sessionId) === n) this.sessions.delete(h.sessionId);
    // Free order as the stores keep it: idle since the last heartbeat for a lapsed or reclaimed lease.
    n.idleSince = reason === 'expired' || reason === 'reclaimed' ? h.lastSeen : releasedAt;
    n.lastVisitorId = h.visitorId;
    if (h.visitorId) {
      let set = this.byVisitor.get(h.visitorId);
      if (!set) {
        set = new Set();
        this.byVisitor.set(h.visitorId, set);
      }
      set.add(n);
    }
    if (n.leasable && this.nums.get(n.e164) === n) insertSorted(this.free, n, byRelease);
    const rec = this.open.get(h.leaseId);
    if (rec) {
      rec.releasedAt = releasedAt;
      rec.reason = reason;
      this.open.delete(h.leaseId);
    }
  }

  private expireDue(now: number, limit: number): number {
    let n = 0;
    while (n < limit && this.busy.length && this.busy[0]!.holder!.expiresAt <= now) {
      const num = this.busy[0]!;
      this.close(num, num.holder!.expiresAt, 'expired');
      n += 1;
    }
    return n;
  }

  async heartbeat(pool: LeasePool, sessionId: string, now: number): Promise<number | null> {
    return this.heartbeatNow(pool, sessionId, now);
  }

  heartbeatNow(pool: LeasePool, sessionId: string, now: number): number | null {
    const n = this.sessions.get(sessionId);
    if (!n?.holder || n.holder.expiresAt <= now) return null;
    remove(this.busy, n);
    n.holder.lastSeen = now;
    n.holder.expiresAt = now + pool.policy.activeWindowMs + pool.policy.holdMs;
    insertSorted(this.busy, n, byExpiry);
    return n.holder.expiresAt;
  }

  async release(_pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean> {
    return this.releaseNow(sessionId, now, reason);
  }

  releaseNow(sessionId: string, now: number, reason: ReleaseReason): boolean {
    const n = this.sessions.get(sessionId);
    if (!n?.holder) return false;
    if (n.holder.expiresAt <= now) this.close(n, n.holder.expiresAt, 'expired');
    else this.close(n, now, reason);
    return true;
  }

  async sweep(_pool: LeasePool, now: number): Promise<number> {
    return this.expireDue(now, SWEEP_LIMIT);
  }

  sweepNow(now: number): number {
    return this.expireDue(now, SWEEP_LIMIT);
  }

  async syncPool(_pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void> {
    const wanted = new Map(numbers.map((n) => [n.e164, n]));
    for (const n of [...this.nums.values()]) {
      const w = wanted.get(n.e164);
      if (w && w.trackingNumberId === n.trackingNumberId) {
        n.leasable = w.status === 'active';
        if (!n.leasable) remove(this.free, n);
        else if (!n.holder && !this.free.includes(n)) insertSorted(this.free, n, byRelease);
        continue;
      }
      if (n.holder) this.close(n, Math.min(now, n.holder.expiresAt), 'admin');
      remove(this.free, n);
      this.nums.delete(n.e164);
    }
    for (const w of numbers) {
      if (this.nums.has(w.e164)) continue;
      const n: Num = {
        idx: this.nums.size,
        trackingNumberId: w.trackingNumberId,
        e164: w.e164,
        leasable: w.status === 'active',
        idleSince: 0,
        lastVisitorId: null,
        holder: null,
      };
      this.nums.set(w.e164, n);
      if (n.leasable) insertSorted(this.free, n, byRelease);
    }
  }

  async currentHolder(e164: string, at: number): Promise<CurrentHolder | null> {
    return this.holderNow(e164, at);
  }

  holderNow(e164: string, at: number, poolId = 'sim'): CurrentHolder | null {
    const h = this.nums.get(e164)?.holder;
    if (!h || h.leasedAt > at || h.expiresAt <= at) return null;
    return {
      leaseId: h.leaseId,
      sessionId: h.sessionId,
      visitorId: h.visitorId,
      poolId,
      leasedAt: new Date(h.leasedAt),
      lastSeenAt: new Date(h.lastSeen),
      reclaimed: h.reclaimedFrom !== null,
    };
  }

  async occupancy(_pool: LeasePool, now: number): Promise<PoolOccupancy> {
    let leasable = 0;
    let inUse = 0;
    for (const n of this.nums.values()) {
      if (n.leasable) leasable += 1;
      if (n.holder && n.holder.expiresAt > now) inUse += 1;
    }
    return { size: this.nums.size, leasable, inUse };
  }

  /** History stays in memory (`history`); nothing to write. */
  async flushHistory(): Promise<number> {
    return 0;
  }
}
