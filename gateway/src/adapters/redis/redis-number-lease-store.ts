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
import { HEARTBEAT_SCRIPT, LEASE_SCRIPT, RELEASE_SCRIPT, SWEEP_SCRIPT, SYNC_SCRIPT } from './lease-scripts.js';
import type { RedisHandle } from './redis-client.js';

/**
 * The lease engine on Redis: one Lua script per operation (one round trip), keys hash-tagged by pool.
 *
 * History: every script that starts or ends a lease appends the complete `number_leases` row to the pool's stream
 * in the same atomic step. `flushHistory` reads the streams through a consumer group, upserts the rows in batches
 * (idempotent by lease id), and only then XACKs and deletes the entries. A crash between the read and the XACK
 * leaves the entries pending: the next run of this consumer (same host name) re-reads its own pending entries first,
 * and any replica claims entries another consumer left pending for longer than `CLAIM_IDLE_MS` (XAUTOCLAIM).
 */

const GROUP = 'history';
const BATCH = 500;
const CLAIM_IDLE_MS = 30_000;
const SWEEP_LIMIT = 500;
const FLUSH_PARALLEL = 16;
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
  sync: script(SYNC_SCRIPT),
};

type StreamEntry = [id: string, fields: string[]];

export interface HistoryRow {
  id: string;
  account_id: string;
  pool_id: string;
  tracking_number_id: string;
  e164: string;
  session_id: string;
  visitor_id: string | null;
  leased_at: Date;
  released_at: Date | null;
  release_reason: string | null;
  reclaimed_from: string | null;
}

export class RedisNumberLeaseStore implements NumberLeaseStore {
  private readonly consumer: string;
  private readonly claimIdleMs: number;
  private readonly groups = new Set<string>();
  private readonly recovered = new Set<string>();
  private lastClaimAt = 0;

  constructor(
    private readonly redis: RedisHandle,
    private readonly db: Db,
    private readonly logger: Logger,
    opts: { consumer?: string; claimIdleMs?: number } = {},
  ) {
    this.consumer = opts.consumer ?? hostname();
    this.claimIdleMs = opts.claimIdleMs ?? CLAIM_IDLE_MS;
  }

  private base(poolId: string): string {
    return `${this.redis.keyPrefix}lp:{${poolId}}:`;
  }

  private keys(poolId: string): string[] {
    const b = this.base(poolId);
    return PARTS.map((p) => `${b}${p}`);
  }

  private poolsKey(): string {
    return `${this.redis.keyPrefix}lp:pools`;
  }

  private numberKey(e164: string): string {
    return `${this.redis.keyPrefix}lpnum:${e164}`;
  }

  private async run(s: Script, pool: LeasePool, now: number, extra: readonly string[]): Promise<unknown> {
    const keys = this.keys(pool.id);
    const args = [String(now), pool.accountId, pool.id, String(pool.policy.activeWindowMs), String(pool.policy.holdMs), ...extra];
    const c = this.redis.client;
    try {
      return await c.sendCommand(['EVALSHA', s.sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return c.sendCommand(['EVAL', s.text, String(keys.length), ...keys, ...args]);
    }
  }

  async lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    const p = pool.policy;
    const r = (await this.run(SCRIPTS.lease, pool, req.now, [
      req.sessionId,
      req.visitorId ?? '',
      newId(),
      p.sticky ? '1' : '0',
      p.reclaim ? '1' : '0',
    ])) as [string, string, string, string, number, number, string];
    if (r[0] === 'blocked') return { kind: 'blocked' };
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
    const r = await this.run(SCRIPTS.heartbeat, pool, now, [sessionId]);
    return r === null ? null : Number(r);
  }

  async release(pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean> {
    return Number(await this.run(SCRIPTS.release, pool, now, [sessionId, reason])) === 1;
  }

  async sweep(pool: LeasePool, now: number): Promise<number> {
    return Number(await this.run(SCRIPTS.sweep, pool, now, [String(SWEEP_LIMIT)]));
  }

  async syncPool(pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void> {
    const triples = numbers.flatMap((n) => [n.trackingNumberId, n.e164, n.status]);
    const removed = (await this.run(SCRIPTS.sync, pool, now, triples)) as string[];
    const c = this.redis.client;
    if (numbers.length) {
      // A pool with numbers can have history to flush; it stays listed after it loses them, until its stream drains.
      const multi = c.multi().sAdd(this.poolsKey(), pool.id);
      for (const n of numbers) multi.set(this.numberKey(n.e164), pool.id);
      await multi.exec();
    }
    for (const e164 of removed) {
      // Only drop the index entry if no other pool has taken the number since.
      if ((await c.get(this.numberKey(e164))) === pool.id) await c.del(this.numberKey(e164));
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

  async flushHistory(): Promise<number> {
    const pools = await this.redis.client.sMembers(this.poolsKey());
    const now = Date.now();
    // Claiming other consumers' stale entries is only needed once in a while, not on every tick.
    const claim = now - this.lastClaimAt >= Math.min(this.claimIdleMs / 2, 5_000);
    if (claim) this.lastClaimAt = now;
    let written = 0;
    // Pools in parallel groups: their stream reads share round trips (node-redis pipelines them).
    for (let i = 0; i < pools.length; i += FLUSH_PARALLEL) {
      const counts = await Promise.all(pools.slice(i, i + FLUSH_PARALLEL).map((poolId) => this.flushPool(poolId, claim)));
      written += counts.reduce((a, b) => a + b, 0);
    }
    return written;
  }

  private async flushPool(poolId: string, claim: boolean): Promise<number> {
    const stream = `${this.base(poolId)}log`;
    const c = this.redis.client;
    if (!this.groups.has(stream)) {
      try {
        await c.sendCommand(['XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM']);
      } catch (err) {
        if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
      }
      this.groups.add(stream);
    }
    let written = 0;
    // Our own pending entries first (left by a run of this consumer that died before XACK), then other
    // consumers' stale ones, then new ones.
    if (!this.recovered.has(stream)) {
      for (let i = 0; i < 1000; i++) {
        const n = await this.apply(stream, await this.readGroup(stream, '0'));
        written += n;
        if (n === 0) break;
      }
      this.recovered.add(stream);
    }
    if (claim) {
      const claimed = (await c.sendCommand([
        'XAUTOCLAIM',
        stream,
        GROUP,
        this.consumer,
        String(this.claimIdleMs),
        '0-0',
        'COUNT',
        String(BATCH),
      ])) as [string, (StreamEntry | null)[]];
      written += await this.apply(
        stream,
        (claimed[1] ?? []).filter((e): e is StreamEntry => e !== null),
      );
    }
    for (let i = 0; i < 100; i++) {
      const n = await this.apply(stream, await this.readGroup(stream, '>'));
      written += n;
      if (n < BATCH) break;
    }
    return written;
  }

  private async readGroup(stream: string, from: '0' | '>'): Promise<StreamEntry[]> {
    const reply = (await this.redis.client.sendCommand([
      'XREADGROUP',
      'GROUP',
      GROUP,
      this.consumer,
      'COUNT',
      String(BATCH),
      'STREAMS',
      stream,
      from,
    ])) as [string, StreamEntry[]][] | Record<string, StreamEntry[]> | null;
    // RESP2 answers [[key, entries]]; RESP3 a map {key: entries}.
    if (!reply) return [];
    if (Array.isArray(reply)) return reply[0]?.[1] ?? [];
    return Object.values(reply)[0] ?? [];
  }

  private async apply(stream: string, entries: readonly StreamEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    await upsertHistory(
      this.db,
      entries.map(([, fields]) => toHistoryRow(fields)),
      this.logger,
    );
    const ids = entries.map(([id]) => id);
    await this.redis.client.multi().xAck(stream, GROUP, ids).xDel(stream, ids).exec();
    this.logger.debug({ stream, rows: entries.length }, 'lease history flushed');
    return entries.length;
  }

  /** Drops every key of the pool (tests and pool deletion). */
  async forgetPool(poolId: string): Promise<void> {
    await this.redis.client.del(this.keys(poolId));
    await this.redis.client.sRem(this.poolsKey(), poolId);
  }
}

function toHistoryRow(fields: readonly string[]): HistoryRow {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const release = f.ev === 'release';
  return {
    id: f.id!,
    account_id: f.acc!,
    pool_id: f.pool!,
    tracking_number_id: f.num!,
    e164: f.e164!,
    session_id: f.s!,
    visitor_id: f.v || null,
    leased_at: new Date(Number(f.a)),
    released_at: release ? new Date(Number(f.at)) : null,
    release_reason: release ? f.why! : null,
    reclaimed_from: f.r || null,
  };
}

/**
 * Upserts history rows by lease id: a replayed event changes nothing, and a release never un-releases.
 * A row whose account was deleted meanwhile (foreign key) is dropped with a warning instead of blocking the
 * stream forever.
 */
export async function upsertHistory(db: Db, rows: readonly HistoryRow[], logger: Logger): Promise<void> {
  const merged = new Map<string, HistoryRow>();
  for (const r of rows) {
    const prev = merged.get(r.id);
    merged.set(r.id, prev ? { ...prev, released_at: prev.released_at ?? r.released_at, release_reason: prev.release_reason ?? r.release_reason } : r);
  }
  const write = (batch: readonly HistoryRow[]) =>
    db('number_leases')
      .insert([...batch])
      .onConflict('id')
      .merge({
        released_at: db.raw('coalesce(number_leases.released_at, excluded.released_at)'),
        release_reason: db.raw('coalesce(number_leases.release_reason, excluded.release_reason)'),
      });
  try {
    await write([...merged.values()]);
  } catch (err) {
    if ((err as { code?: string }).code !== '23503') throw err;
    for (const row of merged.values()) {
      try {
        await write([row]);
      } catch (e) {
        if ((e as { code?: string }).code !== '23503') throw e;
        logger.warn({ leaseId: row.id, poolId: row.pool_id }, 'lease history row dropped: its account no longer exists');
      }
    }
  }
}
