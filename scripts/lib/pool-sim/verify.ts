import { randomBytes } from 'node:crypto';
import { type Database, openDatabase } from '../../../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../../../gateway/src/adapters/db/migrate.js';
import { SqlNumberLeaseStore } from '../../../gateway/src/adapters/db/sql-number-lease-store.js';
import { connectRedis, type RedisHandle } from '../../../gateway/src/adapters/redis/redis-client.js';
import { RedisNumberLeaseStore } from '../../../gateway/src/adapters/redis/redis-number-lease-store.js';
import type { NumberLeaseStore } from '../../../gateway/src/features/number-pools/number-lease-store-type.js';
import { createLogger } from '../../../gateway/src/logging/logger.js';
import { newId } from '../../../gateway/src/shared/ids.js';
import type { SimPolicy } from './policies.js';
import { type LockstepTarget, runSize, type Schedule } from './run.js';
import type { SimVisit } from './traffic.js';

export interface RealStore {
  readonly name: string;
  readonly store: NumberLeaseStore;
  readonly accountId: string;
  readonly db: Database;
  close(): Promise<void>;
}

/** The SQL store on PostgreSQL (`databaseUrl`) or an in-memory PGlite, migrated, with an account to lease in. */
export async function openSqlStore(databaseUrl: string | undefined): Promise<RealStore> {
  const db = databaseUrl
    ? await openDatabase({ kind: 'postgres', url: databaseUrl, poolMax: 4 })
    : await openDatabase({ kind: 'pglite', dataDir: null });
  await migrateLatest(db.knex);
  const accountId = newId();
  await db.knex('accounts').insert({ id: accountId, name: 'pool simulation' });
  return {
    name: databaseUrl ? 'sql (postgresql)' : 'sql (pglite)',
    store: new SqlNumberLeaseStore(db.knex),
    accountId,
    db,
    async close() {
      await db
        .knex('accounts')
        .where({ id: accountId })
        .del()
        .catch(() => undefined);
      await db.close();
    },
  };
}

/** The Redis store under a key prefix of its own (removed afterwards); its history goes to a PGlite database. */
export async function openRedisStore(redisUrl: string): Promise<RealStore> {
  const logger = createLogger({ level: 'silent' });
  const keyPrefix = `poolsim${randomBytes(4).toString('hex')}:`;
  const redis: RedisHandle = await connectRedis({ url: redisUrl, keyPrefix }, logger);
  const db = await openDatabase({ kind: 'pglite', dataDir: null });
  await migrateLatest(db.knex);
  const accountId = newId();
  await db.knex('accounts').insert({ id: accountId, name: 'pool simulation' });
  return {
    name: 'redis',
    store: new RedisNumberLeaseStore(redis, db.knex, logger),
    accountId,
    db,
    async close() {
      for await (const keys of redis.client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 500 })) if (keys.length) await redis.client.del(keys);
      await redis.close();
      await db.close();
    },
  };
}

export interface Verification {
  readonly store: string;
  readonly size: number;
  readonly hours: number;
  readonly ops: number;
  readonly mismatches: number;
  /** Leases in the store's `number_leases` that differ from the in-memory history (start, end, reason, holder). */
  readonly historyMismatches: number;
  readonly examples: readonly string[];
}

/**
 * Replays the first `hours` of the traffic through a real store and the in-memory engine side by side and compares
 * every outcome, then the lease history the store wrote to `number_leases`.
 */
export async function verifyOn(
  real: RealStore,
  visits: readonly SimVisit[],
  schedule: Schedule,
  policy: SimPolicy,
  size: number,
  hours: number,
): Promise<Verification> {
  const pool = { id: newId(), accountId: real.accountId, policy: policy.lease };
  const target: LockstepTarget = { store: real.store, pool, mismatches: 0, ops: 0, examples: [] };
  const history: { key: string }[] = [];
  const result = await runSize(visits, schedule, policy, size, {
    lockstep: target,
    until: hours * 3_600_000,
    onHistory: (recs) => {
      for (const r of recs) history.push({ key: `${r.e164} ${r.sessionId} ${r.leasedAt} ${r.releasedAt ?? '-'} ${r.reason ?? '-'}` });
    },
  });
  void result;
  await real.store.flushHistory();
  const rows = (await real.db.knex('number_leases').where({ pool_id: pool.id })) as {
    e164: string;
    session_id: string;
    leased_at: Date;
    released_at: Date | null;
    release_reason: string | null;
  }[];
  const stored = new Set(
    rows.map((r) => `${r.e164} ${r.session_id} ${r.leased_at.getTime()} ${r.released_at?.getTime() ?? '-'} ${r.release_reason ?? '-'}`),
  );
  let historyMismatches = Math.abs(rows.length - history.length);
  const examples = [...target.examples];
  for (const h of history) {
    if (!stored.has(h.key)) {
      historyMismatches += 1;
      if (examples.length < 5) examples.push(`history: ${h.key} not in number_leases`);
    }
  }
  return { store: real.name, size, hours, ops: target.ops, mismatches: target.mismatches, historyMismatches, examples };
}
