import { timeOfId } from '../../shared/ids.js';
import type { Pool } from '../number-pools/pool-store-type.js';

/**
 * How many numbers of a pool one visitor id and one client address hold at once, so a single visitor (a script with
 * a browser user agent, many tabs) cannot keep a small pool busy with heartbeats while people get the fallback.
 *
 * Two counters behind one interface: `HoldLimits` in this process's memory (embedded mode: one process) and
 * `RedisHoldLimits` (server mode), so the caps hold across replicas whichever one a request reaches.
 */
const MAX_ENTRIES = 200_000;

export type HoldLimit = 'visitor' | 'address';

/** Caps of one lease: numbers of the pool per visitor id and per client address (0: no limit). */
export interface HoldCaps {
  readonly perVisitor: number;
  readonly perAddress: number;
}

export interface HoldCounter {
  /**
   * Counts the session as holding a number of the pool until `until` through its visitor and address, unless one of
   * them already holds its cap: then the limit hit and nothing counted. A session already counted passes.
   */
  reserve(
    pool: Pool,
    sessionId: string,
    visitorId: string,
    address: string | undefined,
    caps: HoldCaps,
    until: number,
    now: number,
  ): Promise<HoldLimit | null>;
  /** The session's lease (or heartbeat) runs until `until`. */
  extended(poolId: string, sessionId: string, until: number, now: number): Promise<void>;
  /** The session no longer holds a number of the pool (its lease was refused or given back). */
  released(poolId: string, sessionId: string): Promise<void>;
}

interface Hold {
  readonly poolId: string;
  readonly keys: readonly string[];
  until: number;
}

/** Ended holds looked at per `reserve` from the oldest end: enough to keep up with any rate of new holds. */
const SWEEP_PER_RESERVE = 4;

/**
 * In-process counter. Bounded: at most MAX_ENTRIES holds are remembered, the oldest forgotten first, and ended holds
 * are swept from the oldest end as new ones come (a lease that expires without a release would otherwise stay until
 * MAX_ENTRIES pushed it out: ~0.5 KiB each, ~100 MiB at the cap, for visitors that never come back). Insertion order
 * is kept close to `until` order (a heartbeat moves its hold to the young end), so the sweep stops at the first hold
 * still running.
 */
export class HoldLimits implements HoldCounter {
  /** `${poolId} ${sessionId}` → the hold. */
  private readonly holds = new Map<string, Hold>();
  /** `${poolId} v|a ${visitor or address}` → the sessions holding through it. */
  private readonly byKey = new Map<string, Set<string>>();

  async reserve(
    pool: Pool,
    sessionId: string,
    visitorId: string,
    address: string | undefined,
    caps: HoldCaps,
    until: number,
    now: number,
  ): Promise<HoldLimit | null> {
    this.sweep(now);
    const id = `${pool.id} ${sessionId}`;
    if (this.holds.has(id)) return null;
    if (caps.perVisitor > 0 && this.live(`${pool.id} v ${visitorId}`, now) >= caps.perVisitor) return 'visitor';
    if (caps.perAddress > 0 && address !== undefined && this.live(`${pool.id} a ${address}`, now) >= caps.perAddress) return 'address';
    if (this.holds.size >= MAX_ENTRIES) this.forget(this.holds.keys().next().value as string);
    // Only the limits in force are counted (a bench from one address with the address limit off keeps no set).
    const keys = [
      ...(caps.perVisitor > 0 ? [`${pool.id} v ${visitorId}`] : []),
      ...(address !== undefined && caps.perAddress > 0 ? [`${pool.id} a ${address}`] : []),
    ];
    if (keys.length === 0) return null;
    this.holds.set(id, { poolId: pool.id, keys, until });
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) {
        set = new Set();
        this.byKey.set(k, set);
      }
      set.add(id);
    }
    return null;
  }

  /** A heartbeat moved the session's expiry. */
  async extended(poolId: string, sessionId: string, until: number, _now?: number): Promise<void> {
    const id = `${poolId} ${sessionId}`;
    const hit = this.holds.get(id);
    if (!hit) return;
    hit.until = until;
    this.holds.delete(id);
    this.holds.set(id, hit);
  }

  /** How many holds are remembered (what the bounds keep small). */
  get size(): number {
    return this.holds.size;
  }

  private sweep(now: number): void {
    for (let i = 0; i < SWEEP_PER_RESERVE; i++) {
      const oldest = this.holds.entries().next();
      if (oldest.done || oldest.value[1].until > now) return;
      this.forget(oldest.value[0]);
    }
  }

  async released(poolId: string, sessionId: string): Promise<void> {
    this.forget(`${poolId} ${sessionId}`);
  }

  private forget(id: string): void {
    const hit = this.holds.get(id);
    if (!hit) return;
    this.holds.delete(id);
    for (const k of hit.keys) {
      const set = this.byKey.get(k);
      set?.delete(id);
      if (set?.size === 0) this.byKey.delete(k);
    }
  }

  /** Holds through `key` still running at `now`; ended ones are dropped on the way. */
  private live(key: string, now: number): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    for (const id of [...set]) if ((this.holds.get(id)?.until ?? 0) <= now) this.forget(id);
    return this.byKey.get(key)?.size ?? 0;
  }
}

/** True when heartbeats may no longer extend the session: it began (the time in its ULID) over the pool's limit ago. */
export function sessionTooOld(pool: Pool, sessionId: string, now: number): boolean {
  const max = pool.settings.maxSessionSeconds;
  if (max <= 0) return false;
  const started = timeOfId(sessionId, sessionId.startsWith('n_') ? 2 : 0);
  // An id that is no ULID has no age (NaN compares false).
  return now - started > max * 1000;
}
