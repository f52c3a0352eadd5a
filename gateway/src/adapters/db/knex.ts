import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import { acquireDataDirLock } from './data-dir-lock.js';
import { createPgliteClientClass } from './pglite-dialect.js';

export type Db = Knex;
export type DbOrTrx = Knex | Knex.Transaction;

export type DbConfig = { kind: 'postgres'; url: string; poolMax: number } | { kind: 'pglite'; dataDir: string | null; loadDataDir?: Blob };

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly knex: Knex;
  /** The embedded instance, when there is one (for dumps and VACUUM). */
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

export async function openDatabase(cfg: DbConfig): Promise<Database> {
  if (cfg.kind === 'postgres') {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: cfg.url, types: pgTypes } as Knex.PgConnectionConfig,
      pool: { min: 0, max: cfg.poolMax },
      acquireConnectionTimeout: 10_000,
    });
    return { kind: 'postgres', knex, pglite: null, close: () => knex.destroy() };
  }

  if (cfg.dataDir) mkdirSync(cfg.dataDir, { recursive: true });
  // One process per data directory: a tool opening it under a running gateway would corrupt it.
  const release = cfg.dataDir ? acquireDataDirLock(cfg.dataDir) : () => undefined;
  let pglite: PGlite;
  try {
    pglite = await startPglite(cfg);
  } catch (err) {
    release();
    throw err;
  }
  const knex = knexFactory({
    client: createPgliteClientClass(pglite) as unknown as typeof knexFactory.Client,
    connection: {},
    // One backend: requests queue for it; a generous timeout keeps bursts from failing.
    acquireConnectionTimeout: 60_000,
  });
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

async function startPglite(cfg: Extract<DbConfig, { kind: 'pglite' }>): Promise<PGlite> {
  const pglite = new PGlite({
    ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
    ...(cfg.loadDataDir ? { loadDataDir: cfg.loadDataDir } : {}),
    parsers: { [types.INT8]: toNumber, [types.NUMERIC]: toNumber },
  });
  await pglite.waitReady;
  return pglite;
}
