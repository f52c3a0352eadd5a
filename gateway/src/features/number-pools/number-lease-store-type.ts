/**
 * The lease engine's state: which tracking number of a session pool each live visitor holds.
 *
 * Two implementations pass one contract suite (`number-lease-store.contract.ts`): a Redis store (Lua scripts, one
 * round trip per operation, keys hash-tagged by pool) for server mode and a SQL store (PostgreSQL or PGlite) for the
 * embedded mode. Nothing outside the adapters knows which one runs.
 *
 * Times are epoch milliseconds handed in by the caller (the service's clock), so tests can move time.
 */

/** How a pool hands out and takes back numbers; stored in `pools.settings`, merged over `DEFAULT_LEASE_POLICY`. */
export interface LeasePolicy {
  /** A holder counts as active while its last heartbeat is younger than this; only inactive holders can be reclaimed. */
  readonly activeWindowMs: number;
  /** The lease ends this long after the active window closes (so `lastSeen + activeWindow + hold`). */
  readonly holdMs: number;
  /** A returning visitor gets its previous number back when nobody else took it since. */
  readonly sticky: boolean;
  /** On exhaustion, take the number of the longest-inactive holder instead of answering with the fallback. */
  readonly reclaim: boolean;
}

/** Defaults from the reference: H_active ≈ 2 min, H_hold ≈ 3 min, 60 s heartbeats (docs/number-pools.md). */
export const DEFAULT_LEASE_POLICY: LeasePolicy = { activeWindowMs: 120_000, holdMs: 180_000, sticky: true, reclaim: true };

/** What the store needs to know about a pool on every call (the service caches it). */
export interface LeasePool {
  readonly id: string;
  readonly accountId: string;
  readonly policy: LeasePolicy;
}

export interface PoolNumber {
  readonly trackingNumberId: string;
  readonly e164: string;
  /** active: leasable; paused: keeps its current holder, never newly leased. Other statuses are not in the live state. */
  readonly status: 'active' | 'paused';
}

/** Holding caps checked and counted with the lease, for stores that declare `countsHolds` (0: no limit). */
export interface LeaseHolds {
  readonly perVisitor: number;
  readonly perAddress: number;
  /** The client's address; without it the address cap does not apply. */
  readonly address?: string;
}

export interface LeaseRequest {
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly now: number;
  /**
   * Only read by a store with `countsHolds`: the session's visitor and address may hold this many numbers of the
   * pool at once. Over a cap the answer is `blocked` with `capped` and nothing is leased; a session already counted
   * passes; a lease counts the hold until the lease's end, a refusal uncounts it.
   */
  readonly holds?: LeaseHolds;
  /**
   * The caller minted the session id (and the visitor id) for this very request, so the store holds nothing under
   * them: a store may skip looking them up. Never set for an id that came from outside.
   */
  readonly minted?: { readonly session: boolean; readonly visitor: boolean };
}

export type LeaseOutcome =
  | {
      readonly kind: 'leased';
      readonly leaseId: string;
      readonly trackingNumberId: string;
      readonly e164: string;
      readonly leasedAt: number;
      /** When the lease ends unless a heartbeat comes first. */
      readonly expiresAt: number;
      /** 'renewed': the session already held it; 'sticky': the visitor's previous number; 'free': least recently released; 'reclaimed': taken from an inactive holder. */
      readonly how: 'renewed' | 'sticky' | 'free' | 'reclaimed';
      /** The lease id the number was reclaimed from. */
      readonly reclaimedFrom: string | null;
    }
  | {
      readonly kind: 'blocked';
      /** The store holds no numbers for the pool at all (its live keys vanished): the caller may rebuild it from SQL. */
      readonly poolMissing?: boolean;
      /** Refused by a holding cap (`LeaseRequest.holds`), not by exhaustion. */
      readonly capped?: 'visitor' | 'address';
    };

export interface CurrentHolder {
  readonly leaseId: string;
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly poolId: string;
  readonly leasedAt: Date;
  readonly lastSeenAt: Date;
  /** The number was taken from an inactive holder for this lease (attribution scores it a little lower). */
  readonly reclaimed: boolean;
}

export interface PoolOccupancy {
  readonly size: number;
  readonly leasable: number;
  readonly inUse: number;
}

export type ReleaseReason = 'expired' | 'left' | 'reclaimed' | 'call' | 'admin';

export interface NumberLeaseStore {
  /**
   * True when the store checks and counts `LeaseRequest.holds` in the lease itself (and a heartbeat extends them),
   * atomically and in the same round trip; otherwise the caller keeps the holding caps elsewhere.
   */
  readonly countsHolds?: boolean;
  /**
   * Gives the session a number of the pool, atomically: its current one (renewed), else the visitor's previous one
   * (sticky), else the least recently released free one, else the longest-inactive holder's (reclaim, when that
   * holder is past the active window), else `blocked`. Never gives one number to two live sessions, and never
   * answers `blocked` while a leasable number is free.
   */
  lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome>;
  /** Extends the session's lease; returns its new expiry, or null when it holds nothing (expired or reclaimed). */
  heartbeat(pool: LeasePool, sessionId: string, now: number): Promise<number | null>;
  /** Ends the session's lease now; false when it held nothing. */
  release(pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean>;
  /** Ends every lease whose hold has passed (released at `lastSeen + activeWindow + hold`); returns how many. */
  sweep(pool: LeasePool, now: number): Promise<number>;
  /**
   * Makes the pool's live numbers match `numbers`: new ones become free (first in line), paused ones keep their
   * holder but are never leased again, missing ones (moved, quarantined, released) lose their lease (reason admin).
   */
  syncPool(pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void>;
  /**
   * Runs `sync` (read the pool's numbers, then `syncPool`) while no other sync of the pool runs, in any process
   * sharing this store: the later sync then also read later. Optional: a store whose `syncPool` is one atomic step
   * in the process that owns it has no interleaving to prevent.
   */
  exclusiveSync?<T>(poolId: string, sync: () => Promise<T>): Promise<T>;
  /** Who holds `e164` at `at`, from the live state (history is written behind); null when nobody does. */
  currentHolder(e164: string, at: number): Promise<CurrentHolder | null>;
  /**
   * `currentHolder` for many numbers and times in one round trip (a batch of calls being attributed), in order.
   * Optional: without it, callers ask `currentHolder` for each at once.
   */
  currentHolders?(items: readonly { e164: string; at: number }[]): Promise<(CurrentHolder | null)[]>;
  occupancy(pool: LeasePool, now: number): Promise<PoolOccupancy>;
  /**
   * Writes pending lease history to `number_leases` and returns how many events it wrote. The SQL store writes
   * history in the state's own transaction and returns 0; the Redis store drains its per-pool streams.
   */
  flushHistory(): Promise<number>;
}
