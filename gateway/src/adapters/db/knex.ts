import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../../logging/logger.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { createPgliteClientClass, inThread } from './pglite-dialect.js';
import type { PgliteConnection } from './pglite-dialect.js';
import { PgliteThread } from './pglite-thread.js';

export type Db = Knex;
export type DbOrTrx = Knex | Knex.Transaction;

/**
 * pglite: a database in `dataDir` runs on a worker thread of its own (PGlite's work would otherwise stall HTTP on
 * the main thread) unless `sameThread`; an in-memory one (dataDir null, tests, dumps) runs on this thread.
 */
export type DbConfig =
  | { kind: 'postgres'; url: string; poolMax: number }
  | { kind: 'pglite'; dataDir: string | null; loadDataDir?: Blob; sameThread?: boolean };

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly knex: Knex;
  /** The embedded instance when it runs on this thread (for dumps). */
  readonly pglite: PGlite | null;
  close(): Promise<void>;
}

/**
 * Parity between the two drivers: int8 (count(*), sums of bigint) and numeric come back as JS numbers on both.
 * pg returns strings by default and PGlite numbers; our amounts and counts fit in a double.
 */
const toNumber = (v: string): number => Number(v);

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return toNumber;
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * knex's own messages ("Acquire connection error: <stack>" on every failed connect, deprecations) go to console.log
 * unless given sinks: through the logger they are JSON lines with a level, and phone numbers in them are masked.
 */
export function knexLog(logger: Logger): NonNullable<Knex.Config['log']> {
  const text = (m: unknown): string => (typeof m === 'string' ? m : (JSON.stringify(m) ?? String(m)));
  return {
    warn: (m: unknown) => logger.warn({ component: 'knex' }, text(m)),
    error: (m: unknown) => logger.error({ component: 'knex' }, text(m)),
    deprecate: (m: unknown) => logger.warn({ component: 'knex' }, text(m)),
    debug: (m: unknown) => logger.debug({ component: 'knex' }, text(m)),
  };
}

export async function openDatabase(cfg: DbConfig, opts: { logger?: Logger } = {}): Promise<Database> {
  const log = opts.logger ? { log: knexLog(opts.logger) } : {};
  if (cfg.kind === 'postgres') {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: cfg.url, types: pgTypes } as Knex.PgConnectionConfig,
      pool: { min: 0, max: cfg.poolMax },
      acquireConnectionTimeout: 10_000,
      ...log,
    });
    return { kind: 'postgres', knex, pglite: null, close: () => knex.destroy() };
  }

  if (cfg.dataDir) mkdirSync(cfg.dataDir, { recursive: true });
  // One process per data directory: a tool opening it under a running gateway would corrupt it.
  const release = cfg.dataDir ? acquireDataDirLock(cfg.dataDir) : () => undefined;
  try {
    return await openPglite(cfg, release, log);
  } catch (err) {
    release();
    throw err;
  }
}

async function openPglite(cfg: Extract<DbConfig, { kind: 'pglite' }>, release: () => void, log: Pick<Knex.Config, 'log'>): Promise<Database> {
  const knexOf = (conn: PgliteConnection, sameThread: boolean): Knex =>
    knexFactory({
      client: createPgliteClientClass(conn, { sameThread }) as unknown as typeof knexFactory.Client,
      connection: {},
      // One backend: requests queue for it; a generous timeout keeps bursts from failing.
      acquireConnectionTimeout: 60_000,
      ...log,
    });
  if (cfg.dataDir && !cfg.loadDataDir && !cfg.sameThread) {
    const thread = new PgliteThread(cfg.dataDir);
    await thread.waitReady;
    const knex = knexOf(thread, false);
    return {
      kind: 'pglite',
      knex,
      pglite: null,
      async close() {
        await knex.destroy();
        await thread.close();
        release();
      },
    };
  }
  const pglite = new PGlite({
    ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
    ...(cfg.loadDataDir ? { loadDataDir: cfg.loadDataDir } : {}),
    parsers: { [types.INT8]: toNumber, [types.NUMERIC]: toNumber },
  });
  await pglite.waitReady;
  const knex = knexOf(inThread(pglite), true);
  return {
    kind: 'pglite',
    knex,
    pglite,
    async close() {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
      release();
    },
  };
}
