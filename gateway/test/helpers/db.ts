import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { openDatabase } from '../../src/adapters/db/knex.js';
import type { Database } from '../../src/adapters/db/knex.js';
import { migrateLatest } from '../../src/adapters/db/migrate.js';
import { testEnv } from './test-env.js';

/**
 * One isolated, migrated database per test file:
 * - PostgreSQL: the global setup migrates a template database once; each file gets `CREATE DATABASE ... TEMPLATE`.
 * - PGlite: the global setup migrates an in-memory instance and dumps it; each file loads the dump (~0.5 s).
 */

let pgliteTemplate: Blob | null = null;
let pgTemplateName: string | null = null;

function adminUrl(dbName = 'postgres'): string {
  const u = new URL(testEnv.databaseUrl!);
  u.pathname = `/${dbName}`;
  return u.href;
}

async function withAdmin<T>(fn: (k: knexFactory.Knex) => Promise<T>): Promise<T> {
  const k = knexFactory({
    client: 'pg',
    connection: adminUrl(new URL(testEnv.databaseUrl!).pathname.slice(1) || 'postgres'),
    pool: { min: 0, max: 1 },
  });
  try {
    return await fn(k);
  } finally {
    await k.destroy();
  }
}

export async function prepareTemplate(): Promise<void> {
  if (testEnv.databaseUrl) {
    const name = `gw_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
    await withAdmin((k) => k.raw(`CREATE DATABASE ${name}`));
    const db = await openDatabase({ kind: 'postgres', url: adminUrl(name), poolMax: 2 });
    try {
      await migrateLatest(db.knex);
    } finally {
      await db.close();
    }
    pgTemplateName = name;
    return;
  }
  const db = await openDatabase({ kind: 'pglite', dataDir: null });
  try {
    await migrateLatest(db.knex);
    pgliteTemplate = await db.pglite!.dumpDataDir('none');
  } finally {
    await db.close();
  }
}

export async function dropTemplate(): Promise<void> {
  if (pgTemplateName) {
    const name = pgTemplateName;
    pgTemplateName = null;
    await withAdmin((k) => k.raw(`DROP DATABASE IF EXISTS ${name}`));
  }
  pgliteTemplate = null;
}

export interface TestDatabase extends Database {
  /** Connection URL of the per-file PostgreSQL database; null on PGlite. */
  readonly url: string | null;
  /** Drops the per-file database (PostgreSQL) after closing it. */
  dispose(): Promise<void>;
  /**
   * Runs `fn` before the database closes: gateways on it stop first. (mocha runs `after` hooks in the order they
   * were registered, and the database's is registered before the test's own.)
   */
  onDispose(fn: () => Promise<void>): void;
}

function withDisposers(db: Database & { url: string | null }, close: () => Promise<void>): TestDatabase {
  const disposers: (() => Promise<void>)[] = [];
  return {
    ...db,
    onDispose: (fn) => disposers.push(fn),
    async dispose() {
      for (const fn of disposers.splice(0).reverse()) await fn().catch(() => undefined);
      await close();
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (testEnv.databaseUrl) {
    if (!pgTemplateName) await prepareTemplate();
    const name = `gw_t_${randomBytes(5).toString('hex')}`;
    await withAdmin((k) => k.raw(`CREATE DATABASE ${name} TEMPLATE ${pgTemplateName}`));
    const db = await openDatabase({ kind: 'postgres', url: adminUrl(name), poolMax: 10 });
    return withDisposers({ ...db, url: adminUrl(name) }, async () => {
      await db.close();
      await withAdmin((k) => k.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    });
  }
  if (!pgliteTemplate) await prepareTemplate();
  const db = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: pgliteTemplate! });
  return withDisposers({ ...db, url: null }, () => db.close());
}

/** Registers before/after hooks giving the enclosing describe block its own database. */
export function useTestDatabase(): { readonly db: TestDatabase } {
  const holder: { db: TestDatabase | null } = { db: null };
  before(async function () {
    this.timeout(60_000);
    holder.db = await createTestDatabase();
  });
  after(async () => {
    await holder.db?.dispose();
    holder.db = null;
  });
  return {
    get db(): TestDatabase {
      if (!holder.db) throw new Error('The test database is only available inside tests');
      return holder.db;
    },
  };
}
