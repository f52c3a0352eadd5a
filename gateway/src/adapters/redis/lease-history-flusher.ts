import type { Logger } from '../../logging/logger.js';
import type { Db } from '../db/knex.js';
import type { RedisHandle } from './redis-client.js';

/**
 * Moves lease history from the per-pool Redis streams to `number_leases`.
 *
 * Reads each stream through the consumer group `history`, upserts the rows in batches (idempotent by lease id), and
 * only after the database commit XACKs and deletes the entries. A crash between the read and the XACK leaves the
 * entries pending: the next run of this consumer (same host name) re-reads its own pending entries first, and any
 * replica claims entries another consumer left pending for longer than `claimIdleMs` (XAUTOCLAIM).
 */

const GROUP = 'history';
const BATCH = 500;
const FLUSH_PARALLEL = 16;
export const CLAIM_IDLE_MS = 30_000;

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

export class LeaseHistoryFlusher {
  private readonly groups = new Set<string>();
  private readonly recovered = new Set<string>();
  private lastClaimAt = 0;

  constructor(
    private readonly redis: RedisHandle,
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly opts: {
      consumer: string;
      claimIdleMs: number;
      /** The pools whose streams may hold history. */
      pools: () => Promise<string[]>;
      stream: (poolId: string) => string;
    },
  ) {}

  async flush(): Promise<number> {
    const pools = await this.opts.pools();
    const now = Date.now();
    // Claiming other consumers' stale entries is only needed once in a while, not on every tick.
    const claim = now - this.lastClaimAt >= Math.min(this.opts.claimIdleMs / 2, 5_000);
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
    const stream = this.opts.stream(poolId);
    try {
      return await this.flushStream(stream, claim);
    } catch (err) {
      // Redis came back empty (restart without persistence): the group is made again on the next run.
      if (String((err as Error).message).startsWith('NOGROUP')) {
        this.groups.delete(stream);
        this.recovered.delete(stream);
      }
      throw err;
    }
  }

  private async flushStream(stream: string, claim: boolean): Promise<number> {
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
        this.opts.consumer,
        String(this.opts.claimIdleMs),
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
      this.opts.consumer,
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
}

/**
 * An entry is its values by position (`emit` in lease-scripts.ts): ev, lease id, account, pool, number id, e164,
 * session, visitor, leased at, reclaimed from, and for a release released at and reason. An entry that starts with
 * the field name `ev` was appended by an earlier version as name/value pairs, and may still be in the stream.
 */
function toHistoryRow(fields: readonly string[]): HistoryRow {
  if (fields[0] === 'ev') return namedHistoryRow(fields);
  const release = fields[0] === 'release';
  return {
    id: fields[1]!,
    account_id: fields[2]!,
    pool_id: fields[3]!,
    tracking_number_id: fields[4]!,
    e164: fields[5]!,
    session_id: fields[6]!,
    visitor_id: fields[7] || null,
    leased_at: new Date(Number(fields[8])),
    released_at: release ? new Date(Number(fields[10])) : null,
    release_reason: release ? fields[11]! : null,
    reclaimed_from: fields[9] || null,
  };
}

function namedHistoryRow(fields: readonly string[]): HistoryRow {
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
  // One JSON parameter unpacked by json_to_recordset instead of eleven bindings per row: knex formats bindings one by
  // one and PostgreSQL parses each (bench:dni flushes 500 rows a statement: 5,500 parameters).
  const write = (batch: readonly HistoryRow[]) =>
    db.raw(
      `INSERT INTO number_leases (id, account_id, pool_id, tracking_number_id, e164, session_id, visitor_id, leased_at, released_at,
         release_reason, reclaimed_from)
       SELECT id, account_id, pool_id, tracking_number_id, e164, session_id, visitor_id, leased_at, released_at, release_reason, reclaimed_from
       FROM json_to_recordset(?::json) AS r (id text, account_id text, pool_id text, tracking_number_id text, e164 text, session_id text,
         visitor_id text, leased_at timestamptz, released_at timestamptz, release_reason text, reclaimed_from text)
       ON CONFLICT (id) DO UPDATE SET
         released_at = coalesce(number_leases.released_at, EXCLUDED.released_at),
         release_reason = coalesce(number_leases.release_reason, EXCLUDED.release_reason)`,
      [JSON.stringify(batch)],
    );
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
