import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
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
import { CommandDeadline } from './command-deadline.js';
import { CLAIM_IDLE_MS, LeaseHistoryFlusher } from './lease-history-flusher.js';
import { HEARTBEAT_SCRIPT, LEASE_SCRIPT, RELEASE_SCRIPT, SWEEP_SCRIPT, SYNC_ADD_SCRIPT, SYNC_REMOVE_SCRIPT } from './lease-scripts.js';
import type { RedisHandle } from './redis-client.js';
import { holdKey } from './redis-hold-limits.js';
import { RedisSyncLock } from './redis-sync-lock.js';

/**
 * The lease engine on Redis: one Lua script per operation (one round trip), keys hash-tagged by pool.
 *
 * History: every script that starts or ends a lease appends the complete `number_leases` row to the pool's stream
 * in the same atomic step; `LeaseHistoryFlusher` moves it to SQL without losing any on a crash.
 */

const SWEEP_LIMIT = 500;
/**
 * Numbers per SYNC_ADD call and HSCAN COUNT per SYNC_REMOVE call. Measured (SLOWLOG of a Redis of its own, load
 * average 15–16, 60,000 numbers): the slowest call 20–180 ms at 1,000, 65–250 ms at 2,000; the single script it
 * replaces held Redis 0.9–1.5 s there, and past its 5 s busy limit on the shared Redis (docs/performance.md).
 */
export const SYNC_CHUNK = 1_000;
/** The index keys written per round trip after a sync (separate commands: they live in different hash slots). */
const INDEX_BATCH = 1_000;
/** The lease scripts' time limit (node-redis's default per-command timeout, kept without its timer per command). */
const SCRIPT_TIMEOUT_MS = 5_000;
/** Per-call options for the scripts: no node-redis timer (`CommandDeadline` keeps the limit). */
const NO_COMMAND_TIMER = { timeout: 0 } as const;
const PARTS = ['nums', 'paused', 'free', 'busy', 'holders', 'sess', 'lastv', 'vnum', 'log'] as const;

interface Holder {
  l: string;
  s: string;
  v: string;
  n: string;
  a: number;
  t: number;
  x: number;
  r: string;
}

interface Script {
  readonly text: string;
  readonly sha: string;
}

const script = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
const SCRIPTS = {
  lease: script(LEASE_SCRIPT),
  heartbeat: script(HEARTBEAT_SCRIPT),
  release: script(RELEASE_SCRIPT),
  sweep: script(SWEEP_SCRIPT),
  syncAdd: script(SYNC_ADD_SCRIPT),
  syncRemove: script(SYNC_REMOVE_SCRIPT),
};

export class RedisNumberLeaseStore implements NumberLeaseStore {
  /** Holding caps are checked, counted and extended inside the lease and heartbeat scripts (one round trip). */
  readonly countsHolds = true;
  private readonly flusher: LeaseHistoryFlusher;
  private readonly deadline = new CommandDeadline(SCRIPT_TIMEOUT_MS);
  private readonly syncLock: RedisSyncLock;

  constructor(
    private readonly redis: RedisHandle,
    db: Db,
    logger: Logger,
    opts: { consumer?: string; claimIdleMs?: number } = {},
  ) {
    this.syncLock = new RedisSyncLock(redis);
    this.flusher = new LeaseHistoryFlusher(redis, db, logger, {
      consumer: opts.consumer ?? hostname(),
      claimIdleMs: opts.claimIdleMs ?? CLAIM_IDLE_MS,
      pools: () => redis.client.sMembers(this.poolsKey()),
      stream: (poolId) => `${this.base(poolId)}log`,
    });
  }

  private base(poolId: string): string {
    return `${this.redis.keyPrefix}lp:{${poolId}}:`;
  }

  private keys(poolId: string): string[] {
    const b = this.base(poolId);
    return PARTS.map((p) => `${b}${p}`);
  }

  private holdKey(poolId: string, part: string): string {
    return holdKey(this.redis.keyPrefix, poolId, part);
  }

  private poolsKey(): string {
    return `${this.redis.keyPrefix}lp:pools`;
  }

  private numberKey(e164: string): string {
    return `${this.redis.keyPrefix}lpnum:${e164}`;
  }

  private async run(s: Script, pool: LeasePool, now: number, extra: readonly string[], extraKeys: readonly string[] = []): Promise<unknown> {
    const keys = extraKeys.length ? [...this.keys(pool.id), ...extraKeys] : this.keys(pool.id);
    const args = [String(now), pool.accountId, pool.id, String(pool.policy.activeWindowMs), String(pool.policy.holdMs), ...extra];
    const c = this.redis.client;
    try {
      return await this.deadline.run(c.sendCommand(['EVALSHA', s.sha, String(keys.length), ...keys, ...args], NO_COMMAND_TIMER));
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return this.deadline.run(c.sendCommand(['EVAL', s.text, String(keys.length), ...keys, ...args], NO_COMMAND_TIMER));
    }
  }

  async lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    const p = pool.policy;
    const h = req.holds;
    const minted = req.minted?.session ? (req.minted.visitor ? 'sv' : 's') : '';
    const args = [req.sessionId, req.visitorId ?? '', newId(), p.sticky ? '1' : '0', p.reclaim ? '1' : '0', minted];
    const holdKeys = h
      ? [
          this.holdKey(pool.id, `v:${req.visitorId ?? ''}`),
          this.holdKey(pool.id, `a:${h.address ?? ''}`),
          this.holdKey(pool.id, `s:${req.sessionId}`),
        ]
      : [];
    if (h) args.push(String(h.perVisitor), String(h.address === undefined ? 0 : h.perAddress));
    const r = (await this.run(SCRIPTS.lease, pool, req.now, args, holdKeys)) as [string, string, string, string, number, number, string];
    if (r[0] === 'blocked') return { kind: 'blocked' };
    if (r[0] === 'capped') return { kind: 'blocked', capped: r[1] === 'visitor' ? 'visitor' : 'address' };
    if (r[0] === 'empty') return { kind: 'blocked', poolMissing: true };
    return {
      kind: 'leased',
      how: r[0] as 'renewed' | 'sticky' | 'free' | 'reclaimed',
      leaseId: r[1],
      trackingNumberId: r[2],
      e164: r[3],
      leasedAt: Number(r[4]),
      expiresAt: Number(r[5]),
      reclaimedFrom: r[6] || null,
    };
  }

  async heartbeat(pool: LeasePool, sessionId: string, now: number): Promise<number | null> {
    const r = await this.run(SCRIPTS.heartbeat, pool, now, [sessionId], [this.holdKey(pool.id, `s:${sessionId}`)]);
    return r === null ? null : Number(r);
  }

  async release(pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean> {
    return Number(await this.run(SCRIPTS.release, pool, now, [sessionId, reason])) === 1;
  }

  async sweep(pool: LeasePool, now: number): Promise<number> {
    return Number(await this.run(SCRIPTS.sweep, pool, now, [String(SWEEP_LIMIT)]));
  }

  exclusiveSync<T>(poolId: string, sync: () => Promise<T>): Promise<T> {
    return this.syncLock.run(`pool:${poolId}`, sync);
  }

  /**
   * In chunks (see SYNC_ADD_SCRIPT): the wanted numbers first, staged under a key of this sync's own, then the
   * pool's numbers page by page, dropping those not staged. Two of these at once for one pool could leave a number
   * only one of their lists names either way: callers run them under `exclusiveSync`, which the lease service does.
   */
  async syncPool(pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void> {
    const stage = [`${this.base(pool.id)}sync:${newId()}`];
    const removed: string[] = [];
    try {
      for (let i = 0; i < numbers.length; i += SYNC_CHUNK) {
        const triples = numbers.slice(i, i + SYNC_CHUNK).flatMap((n) => [n.trackingNumberId, n.e164, n.status]);
        await this.run(SCRIPTS.syncAdd, pool, now, triples, stage);
      }
      const staged = String(new Set(numbers.map((n) => n.e164)).size);
      let cursor = '0';
      do {
        const [next, gone] = (await this.run(SCRIPTS.syncRemove, pool, now, [cursor, String(SYNC_CHUNK), staged], stage)) as [string, string[]];
        removed.push(...gone);
        cursor = next;
      } while (cursor !== '0');
    } catch (err) {
      await this.redis.client.del(stage).catch(() => undefined);
      throw err;
    }
    const c = this.redis.client;
    if (numbers.length) {
      // A pool with numbers can have history to flush; it stays listed after it loses them, until its stream drains.
      // Separate commands, not MULTI: these keys live in different hash slots on a cluster.
      await c.sAdd(this.poolsKey(), pool.id);
      for (let i = 0; i < numbers.length; i += INDEX_BATCH) {
        // Without node-redis's timer per command: 25,000 of them fired 5 s later, in the first visitors' requests
        // (up to ~15 % of the busy time in a bench:dni profile).
        await Promise.all(
          numbers.slice(i, i + INDEX_BATCH).map((n) => this.deadline.run(c.sendCommand(['SET', this.numberKey(n.e164), pool.id], NO_COMMAND_TIMER))),
        );
      }
    }
    // Only drop an index entry if no other pool has taken the number since. A batch at a time: one by one, the
    // 10,000 numbers a sync of 60,000 removed took ~10 s of round trips.
    for (let i = 0; i < removed.length; i += INDEX_BATCH) {
      await Promise.all(
        removed.slice(i, i + INDEX_BATCH).map(async (e164) => {
          const key = this.numberKey(e164);
          if (String(await this.deadline.run(c.sendCommand(['GET', key], NO_COMMAND_TIMER))) === pool.id) {
            await this.deadline.run(c.sendCommand(['DEL', key], NO_COMMAND_TIMER));
          }
        }),
      );
    }
  }

  async currentHolder(e164: string, at: number): Promise<CurrentHolder | null> {
    const poolId = await this.redis.client.get(this.numberKey(e164));
    if (!poolId) return null;
    const raw = await this.redis.client.hGet(`${this.base(poolId)}holders`, e164);
    if (!raw) return null;
    const h = JSON.parse(raw) as Holder;
    if (h.a > at || h.x <= at) return null;
    return {
      leaseId: h.l,
      sessionId: h.s,
      visitorId: h.v || null,
      poolId,
      leasedAt: new Date(h.a),
      lastSeenAt: new Date(h.t),
      reclaimed: h.r !== '',
    };
  }

  async occupancy(pool: LeasePool, now: number): Promise<PoolOccupancy> {
    const [nums, paused, , busy] = this.keys(pool.id);
    const c = this.redis.client;
    const [size, pausedCount, inUse] = await Promise.all([c.hLen(nums!), c.sCard(paused!), c.zCount(busy!, `(${now}`, '+inf')]);
    return { size: Number(size), leasable: Number(size) - Number(pausedCount), inUse: Number(inUse) };
  }

  flushHistory(): Promise<number> {
    return this.flusher.flush();
  }
}
