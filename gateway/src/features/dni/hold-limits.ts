import { decodeTime } from 'ulid';
import type { Pool } from '../number-pools/pool-store-type.js';

/**
 * How many numbers of a pool one visitor id and one client address hold at once, so a single visitor (a script with
 * a browser user agent, many tabs) cannot keep a small pool busy with heartbeats while people get the fallback.
 *
 * Counted in this process's memory, like the per-address session rate limit: with several replicas behind a
 * balancer that does not keep a client on one replica, a visitor can hold up to the limit on each of them.
 * Bounded: at most MAX_ENTRIES holds are remembered, the oldest forgotten first.
 */
const MAX_ENTRIES = 200_000;

export type HoldLimit = 'visitor' | 'address';

interface Hold {
  readonly poolId: string;
  readonly keys: readonly string[];
  until: number;
}

export class HoldLimits {
  /** `${poolId} ${sessionId}` → the hold. */
  private readonly holds = new Map<string, Hold>();
  /** `${poolId} v|a ${visitor or address}` → the sessions holding through it. */
  private readonly byKey = new Map<string, Set<string>>();

  /** `perAddress`: numbers of one pool a client address may hold at once (0: no limit). */
  constructor(private readonly perAddress: number) {}

  /** Which limit a new lease of `sessionId` would break, or null when it may lease (or already holds). */
  check(pool: Pool, sessionId: string, visitorId: string, address: string | undefined, now: number): HoldLimit | null {
    if (this.holds.has(`${pool.id} ${sessionId}`)) return null;
    const perVisitor = pool.settings.maxNumbersPerVisitor;
    const perAddress = this.perAddress;
    if (perVisitor > 0 && this.live(`${pool.id} v ${visitorId}`, now) >= perVisitor) return 'visitor';
    if (perAddress > 0 && address !== undefined && this.live(`${pool.id} a ${address}`, now) >= perAddress) return 'address';
    return null;
  }

  /** The session holds a number of the pool until `until` (ms). */
  held(pool: Pool, sessionId: string, visitorId: string, address: string | undefined, until: number): void {
    const id = `${pool.id} ${sessionId}`;
    const hit = this.holds.get(id);
    if (hit) {
      hit.until = until;
      return;
    }
    if (this.holds.size >= MAX_ENTRIES) this.forget(this.holds.keys().next().value as string);
    // Only the limits in force are counted (a bench from one address with the address limit off keeps no set).
    const keys = [
      ...(pool.settings.maxNumbersPerVisitor > 0 ? [`${pool.id} v ${visitorId}`] : []),
      ...(address !== undefined && this.perAddress > 0 ? [`${pool.id} a ${address}`] : []),
    ];
    if (keys.length === 0) return;
    this.holds.set(id, { poolId: pool.id, keys, until });
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) {
        set = new Set();
        this.byKey.set(k, set);
      }
      set.add(id);
    }
  }

  /** A heartbeat moved the session's expiry. */
  extended(poolId: string, sessionId: string, until: number): void {
    const hit = this.holds.get(`${poolId} ${sessionId}`);
    if (hit) hit.until = until;
  }

  released(poolId: string, sessionId: string): void {
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
  let started: number;
  try {
    started = decodeTime(sessionId.replace(/^n_/, '').slice(0, 26));
  } catch {
    return false;
  }
  return now - started > max * 1000;
}
