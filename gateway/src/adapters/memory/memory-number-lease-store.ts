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
import type { Logger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../db/knex.js';
import { LeaseHeap } from './lease-heap.js';
import { LeaseStateWriter } from './lease-state-writer.js';
import type { Lease, Slot } from './lease-state-writer.js';
import type { FreeEntry, FreeLine, LeaseJournal, MemoryLeaseOptions } from './memory-lease-options.js';
import type { NumberLeaseStateRow } from '../db/number-lease-state-row.js';

/**
 * The lease engine in process memory, for the embedded mode: exactly one process owns the PGlite database, so the
 * live state can live here and every operation is a few map and heap steps on one thread (atomic by construction),
 * instead of a dozen SQL statements on the thread that also serves HTTP (bench:dni: 45–90 new visitors/s before).
 *
 * Durability: write-behind to the SQL store's own tables (`LeaseStateWriter`, one transaction per flush), and at
 * start the state is rebuilt from `number_lease_state`. After a crash the engine comes back as of its last flush
 * (at most `flushMs` old): a lease started after it is unknown to the new process (that session's heartbeat finds
 * nothing and the widget starts again; its number may go to someone else), and a renewal or release after it is
 * replayed by the next heartbeat or sweep. A clean stop flushes everything (`flushHistory`, `stop`).
 */

interface PoolState {
  readonly slots: Map<string, Slot>;
  readonly bySession: Map<string, Slot>;
  /** Visitor → the free number it held last (sticky). */
  readonly byLastVisitor: Map<string, Slot>;
  readonly free: FreeLine;
  readonly busy: LeaseHeap<{ slot: Slot; leaseId: string; expiresAt: number }>;
}

type StateRow = NumberLeaseStateRow;

const holdOf = (pool: LeasePool): number => pool.policy.activeWindowMs + pool.policy.holdMs;
const isFree = (s: Slot): boolean => !s.removed && s.lease === null && s.leasable;

const validFree = (e: FreeEntry): boolean => isFree(e.slot) && e.slot.releasedAt === e.releasedAt;
const leastRecentlyReleased = (valid: (e: FreeEntry) => boolean): FreeLine =>
  new LeaseHeap<FreeEntry>((a, b) => a.releasedAt < b.releasedAt || (a.releasedAt === b.releasedAt && a.slot.id < b.slot.id), valid);

function newPool(freeLine: (valid: (e: FreeEntry) => boolean) => FreeLine): PoolState {
  return {
    slots: new Map(),
    bySession: new Map(),
    byLastVisitor: new Map(),
    free: freeLine(validFree),
    busy: new LeaseHeap(
      (a, b) => a.expiresAt < b.expiresAt,
      (e) => !e.slot.removed && e.slot.lease?.id === e.leaseId && e.slot.lease.expiresAt === e.expiresAt,
    ),
  };
}

export class MemoryNumberLeaseStore implements NumberLeaseStore {
  private readonly pools = new Map<string, PoolState>();
  private readonly byNumber = new Map<string, Slot>();
  private readonly byE164 = new Map<string, Slot>();
  private readonly writer: LeaseJournal;
  private readonly ready: Promise<void>;
  private readonly freeLine: (valid: (e: FreeEntry) => boolean) => FreeLine;

  constructor(db: Db | null, logger: Logger, opts: MemoryLeaseOptions = {}) {
    this.freeLine = opts.freeLine ?? leastRecentlyReleased;
    if (opts.journal) {
      this.writer = opts.journal;
      this.ready = Promise.resolve();
    } else {
      if (!db) throw new Error('the in-memory lease engine needs a database or a journal');
      this.writer = new LeaseStateWriter(db, logger, opts.flushMs ?? 100);
      this.ready = this.load(db);
    }
  }

  /** The state as the tables hold it (the last flush of the previous process). */
  private async load(db: Db): Promise<void> {
    const rows = (await db('number_lease_state').select('*')) as StateRow[];
    for (const r of rows) {
      const slot: Slot = {
        id: r.tracking_number_id,
        accountId: r.account_id,
        poolId: r.pool_id,
        e164: r.e164,
        leasable: r.leasable,
        lease: null,
        releasedAt: r.released_at.getTime(),
        lastVisitorId: r.last_visitor_id,
        removed: false,
      };
      if (r.lease_id !== null && r.session_id !== null)
        slot.lease = {
          id: r.lease_id,
          sessionId: r.session_id,
          visitorId: r.visitor_id,
          leasedAt: r.leased_at?.getTime() ?? 0,
          lastSeen: r.last_seen_at?.getTime() ?? 0,
          expiresAt: r.expires_at?.getTime() ?? 0,
          reclaimedFrom: r.reclaimed_from,
        };
      this.index(this.pool(r.pool_id), slot);
    }
  }

  private pool(id: string): PoolState {
    let p = this.pools.get(id);
    if (!p) {
      p = newPool(this.freeLine);
      this.pools.set(id, p);
    }
    return p;
  }

  private index(p: PoolState, slot: Slot): void {
    p.slots.set(slot.id, slot);
    this.byNumber.set(slot.id, slot);
    this.byE164.set(slot.e164, slot);
    if (slot.lease) {
      p.bySession.set(slot.lease.sessionId, slot);
      p.busy.push({ slot, leaseId: slot.lease.id, expiresAt: slot.lease.expiresAt });
    } else {
      if (slot.lastVisitorId !== null) this.rememberVisitor(p, slot);
      if (slot.leasable) p.free.push({ slot, releasedAt: slot.releasedAt });
    }
  }

  private rememberVisitor(p: PoolState, slot: Slot): void {
    const v = slot.lastVisitorId;
    if (v === null) return;
    const cur = p.byLastVisitor.get(v);
    if (!cur || cur.releasedAt <= slot.releasedAt || cur.lastVisitorId !== v || cur.lease !== null) p.byLastVisitor.set(v, slot);
  }

  async lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    await this.ready;
    const p = this.pool(pool.id);
    const { now } = req;
    const expiresAt = now + holdOf(pool);
    const own = p.bySession.get(req.sessionId);
    if (own?.lease) {
      if (own.lease.expiresAt > now) {
        this.touch(p, own, own.lease, now, expiresAt);
        return this.outcome(own, own.lease, 'renewed');
      }
      this.close(p, own, own.lease.expiresAt, 'expired');
    }
    this.expireDue(p, now);
    if (pool.policy.sticky && req.visitorId) {
      const sticky = p.byLastVisitor.get(req.visitorId);
      if (sticky && isFree(sticky) && sticky.lastVisitorId === req.visitorId) return this.take(p, sticky, req, expiresAt, 'sticky', null);
    }
    const free = p.free.peek();
    if (free) {
      p.free.pop();
      return this.take(p, free.slot, req, expiresAt, 'free', null);
    }
    // Holders inactive past the active window: last seen before now - active, i.e. expiring before now + hold.
    const idle = this.longestInactive(p);
    if (idle?.lease && pool.policy.reclaim && idle.lease.expiresAt < now + pool.policy.holdMs) {
      const from = idle.lease.id;
      this.close(p, idle, now, 'reclaimed');
      return this.take(p, idle, req, expiresAt, 'reclaimed', from);
    }
    return { kind: 'blocked' };
  }

  /** The leasable holder with the earliest expiry (paused numbers keep their holder and are never reclaimed). */
  private longestInactive(p: PoolState): Slot | undefined {
    const top = p.busy.peek();
    if (!top || top.slot.leasable) return top?.slot;
    let best: Slot | undefined;
    for (const s of p.bySession.values()) if (s.leasable && s.lease && (!best?.lease || s.lease.expiresAt < best.lease.expiresAt)) best = s;
    return best;
  }

  private take(
    p: PoolState,
    slot: Slot,
    req: LeaseRequest,
    expiresAt: number,
    how: 'sticky' | 'free' | 'reclaimed',
    reclaimedFrom: string | null,
  ): LeaseOutcome {
    const lease: Lease = {
      id: newId(),
      sessionId: req.sessionId,
      visitorId: req.visitorId,
      leasedAt: req.now,
      lastSeen: req.now,
      expiresAt,
      reclaimedFrom,
    };
    slot.lease = lease;
    p.bySession.set(req.sessionId, slot);
    p.busy.push({ slot, leaseId: lease.id, expiresAt });
    p.busy.compact(p.bySession.size);
    this.writer.opened(slot, lease);
    return this.outcome(slot, lease, how);
  }

  private touch(p: PoolState, slot: Slot, lease: Lease, now: number, expiresAt: number): void {
    lease.lastSeen = now;
    lease.expiresAt = expiresAt;
    p.busy.push({ slot, leaseId: lease.id, expiresAt });
    p.busy.compact(p.bySession.size);
    this.writer.changed(slot);
  }

  private outcome(slot: Slot, lease: Lease, how: 'renewed' | 'sticky' | 'free' | 'reclaimed'): LeaseOutcome {
    return {
      kind: 'leased',
      leaseId: lease.id,
      trackingNumberId: slot.id,
      e164: slot.e164,
      leasedAt: lease.leasedAt,
      expiresAt: lease.expiresAt,
      how,
      reclaimedFrom: lease.reclaimedFrom,
    };
  }

  /** Ends the slot's lease; `at` never precedes the lease start (the history keeps the real end). */
  private close(p: PoolState, slot: Slot, at: number, reason: ReleaseReason): void {
    const lease = slot.lease;
    if (!lease) return;
    const releasedAt = Math.max(at, lease.leasedAt);
    if (p.bySession.get(lease.sessionId) === slot) p.bySession.delete(lease.sessionId);
    const previous = slot.lastVisitorId;
    if (previous !== null && previous !== lease.visitorId && p.byLastVisitor.get(previous) === slot) p.byLastVisitor.delete(previous);
    // Free order, as in the SQL and Redis stores: a lapsed or reclaimed lease counts idle from its holder's last
    // heartbeat (the visitor left then; the hold only kept the number theirs), a release from the release.
    const idleSince = reason === 'expired' || reason === 'reclaimed' ? lease.lastSeen : releasedAt;
    slot.lease = null;
    slot.releasedAt = idleSince;
    slot.lastVisitorId = lease.visitorId;
    this.rememberVisitor(p, slot);
    if (slot.leasable && !slot.removed) {
      p.free.push({ slot, releasedAt: idleSince });
      p.free.compact(p.slots.size);
    }
    this.writer.closed(slot, lease.id, releasedAt, reason);
  }

  private expireDue(p: PoolState, now: number): number {
    let n = 0;
    for (let top = p.busy.peek(); top && top.expiresAt <= now; top = p.busy.peek()) {
      p.busy.pop();
      this.close(p, top.slot, top.expiresAt, 'expired');
      n += 1;
    }
    return n;
  }

  async heartbeat(pool: LeasePool, sessionId: string, now: number): Promise<number | null> {
    await this.ready;
    const p = this.pool(pool.id);
    const own = p.bySession.get(sessionId);
    if (!own?.lease || own.lease.expiresAt <= now) return null;
    const expiresAt = now + holdOf(pool);
    this.touch(p, own, own.lease, now, expiresAt);
    return expiresAt;
  }

  async release(pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean> {
    await this.ready;
    const p = this.pool(pool.id);
    const own = p.bySession.get(sessionId);
    if (!own?.lease) return false;
    if (own.lease.expiresAt <= now) this.close(p, own, own.lease.expiresAt, 'expired');
    else this.close(p, own, now, reason);
    return true;
  }

  async sweep(pool: LeasePool, now: number): Promise<number> {
    await this.ready;
    return this.expireDue(this.pool(pool.id), now);
  }

  async syncPool(pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void> {
    await this.ready;
    const p = this.pool(pool.id);
    const wanted = new Map(numbers.map((n) => [n.trackingNumberId, n]));
    for (const slot of [...p.slots.values()]) {
      const n = wanted.get(slot.id);
      if (n) {
        const leasable = n.status === 'active';
        if (slot.e164 !== n.e164) {
          if (this.byE164.get(slot.e164) === slot) this.byE164.delete(slot.e164);
          slot.e164 = n.e164;
          this.byE164.set(n.e164, slot);
        }
        if (leasable !== slot.leasable) {
          slot.leasable = leasable;
          if (isFree(slot)) p.free.push({ slot, releasedAt: slot.releasedAt });
        }
        this.writer.changed(slot);
        continue;
      }
      this.drop(p, slot, now);
    }
    for (const n of numbers) {
      if (p.slots.has(n.trackingNumberId)) continue;
      // A number moved here from another pool loses its lease there first.
      const elsewhere = this.byNumber.get(n.trackingNumberId);
      if (elsewhere) this.drop(this.pool(elsewhere.poolId), elsewhere, now);
      const slot: Slot = {
        id: n.trackingNumberId,
        accountId: pool.accountId,
        poolId: pool.id,
        e164: n.e164,
        leasable: n.status === 'active',
        lease: null,
        releasedAt: 0,
        lastVisitorId: null,
        removed: false,
      };
      this.index(p, slot);
      this.writer.changed(slot);
    }
  }

  private drop(p: PoolState, slot: Slot, now: number): void {
    if (slot.lease) this.close(p, slot, Math.min(now, slot.lease.expiresAt), 'admin');
    slot.removed = true;
    p.slots.delete(slot.id);
    if (this.byNumber.get(slot.id) === slot) this.byNumber.delete(slot.id);
    if (this.byE164.get(slot.e164) === slot) this.byE164.delete(slot.e164);
    if (slot.lastVisitorId !== null && p.byLastVisitor.get(slot.lastVisitorId) === slot) p.byLastVisitor.delete(slot.lastVisitorId);
    this.writer.dropped(slot);
  }

  async currentHolder(e164: string, at: number): Promise<CurrentHolder | null> {
    await this.ready;
    const slot = this.byE164.get(e164);
    const lease = slot?.lease;
    if (!slot || !lease || lease.leasedAt > at || lease.expiresAt <= at) return null;
    return {
      leaseId: lease.id,
      sessionId: lease.sessionId,
      visitorId: lease.visitorId,
      poolId: slot.poolId,
      leasedAt: new Date(lease.leasedAt),
      lastSeenAt: new Date(lease.lastSeen),
      reclaimed: lease.reclaimedFrom !== null,
    };
  }

  async occupancy(pool: LeasePool, now: number): Promise<PoolOccupancy> {
    await this.ready;
    const p = this.pool(pool.id);
    let leasable = 0;
    let inUse = 0;
    for (const s of p.slots.values()) {
      if (s.leasable) leasable += 1;
      if (s.lease && s.lease.expiresAt > now) inUse += 1;
    }
    return { size: p.slots.size, leasable, inUse };
  }

  /** Writes everything pending (state and history) now; returns how many history events it wrote. */
  async flushHistory(): Promise<number> {
    await this.ready;
    return this.writer.flush();
  }

  /** The final flush at shutdown; no timer afterwards. */
  async stop(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.writer.stop();
  }
}
