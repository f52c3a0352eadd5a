import { createRequire } from 'node:module';
import type { PGlite } from '@electric-sql/pglite';

/**
 * A knex dialect that runs the PostgreSQL dialect's SQL on an in-process PGlite instance.
 *
 * Why in-repo instead of `knex-pglite` / `@harryplusplus/knex-pglite` (see docs/adr/0001-embedded-database.md):
 * both mis-handle `rowCount`, bound raw SQL with `;` in literals, or accept a pool of several "connections" that
 * share one backend (a rollback in one discards another's commit). PGlite is one backend, so this dialect exposes
 * exactly one connection; knex then serialises every query and transaction on it.
 */

const require = createRequire(import.meta.url);
// knex's PostgreSQL client is CommonJS and not part of its typed surface.
const ClientPG = require('knex/lib/dialects/postgres/index.js') as new (config: object) => object;

export interface PgliteResult {
  rows: Record<string, unknown>[];
  affectedRows?: number;
  fields: { name: string; dataTypeID: number }[];
}

/** What the dialect needs of the database: PGlite itself, or `PgliteThread` (PGlite on a worker thread). */
export interface PgliteConnection {
  readonly waitReady: Promise<void>;
  readonly closed: boolean;
  query(sql: string, params: unknown[]): Promise<PgliteResult>;
  exec(sql: string): Promise<PgliteResult[]>;
}

/** PGlite's own instance as a connection (its query takes an options argument). */
export const inThread = (p: PGlite): PgliteConnection => ({
  get waitReady() {
    return p.waitReady;
  },
  get closed() {
    return p.closed;
  },
  query: (sql, params) => p.query<Record<string, unknown>>(sql, params, { rowMode: 'object' }),
  exec: (sql) => p.exec(sql),
});

interface KnexQueryObject {
  sql: string;
  bindings?: unknown[];
  response?: unknown;
}

interface PgLikeResult {
  command: string;
  rowCount: number;
  rows: Record<string, unknown>[];
  fields: { name: string; dataTypeID: number }[];
}

function commandOf(sql: string): string {
  const m =
    /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete|begin|commit|rollback|savepoint|release|create|alter|drop|set|vacuum|lock|truncate)/i.exec(
      sql,
    );
  return m?.[1] ? m[1].toUpperCase() : 'SELECT';
}

export function createPgliteClientClass(pglite: PgliteConnection, opts: { sameThread: boolean }): new (config: object) => object {
  class ClientPGlite extends ClientPG {
    declare driverName: string;

    _driver(): object {
      return {};
    }

    async acquireRawConnection(): Promise<PgliteConnection> {
      await pglite.waitReady;
      return pglite;
    }

    async destroyRawConnection(): Promise<void> {
      // The instance outlives knex's pool; its owner closes it.
    }

    validateConnection(): boolean {
      return !pglite.closed;
    }

    poolDefaults(): object {
      return { min: 1, max: 1, propagateCreateError: true };
    }

    async checkVersion(): Promise<string> {
      return '17.0';
    }

    async setSchemaSearchPath(): Promise<boolean> {
      return true;
    }

    _stream(): never {
      throw new Error('Streaming queries are not supported on the embedded database');
    }

    async _query(connection: PgliteConnection, obj: KnexQueryObject): Promise<KnexQueryObject> {
      if (!obj.sql) throw new Error('The query is empty');
      // PGlite runs each query on this thread and resolves at once: without a turn of the event loop between them, a
      // transaction's queries would run back to back as microtasks while requests (a voice answer) wait unread.
      if (opts.sameThread) await new Promise<void>((resolve) => setImmediate(resolve));
      const bindings = obj.bindings ?? [];
      if (bindings.length === 0 && /;\s*\S/.test(obj.sql)) {
        // Several statements (migrations): only the simple protocol accepts them.
        const results = await connection.exec(obj.sql);
        const last = results[results.length - 1];
        obj.response = toPgResult(obj.sql, last?.rows ?? [], last?.affectedRows, last?.fields ?? []);
        return obj;
      }
      const res = await connection.query(obj.sql, bindings);
      obj.response = toPgResult(obj.sql, res.rows, res.affectedRows, res.fields);
      return obj;
    }
  }
  Object.assign(ClientPGlite.prototype, { dialect: 'postgresql', driverName: 'pglite' });
  return ClientPGlite;
}

function toPgResult(
  sql: string,
  rows: Record<string, unknown>[],
  affectedRows: number | undefined,
  fields: readonly { name: string; dataTypeID: number }[],
): PgLikeResult {
  const command = commandOf(sql);
  const rowCount = command === 'SELECT' ? rows.length : (affectedRows ?? rows.length);
  return { command, rowCount, rows, fields: [...fields] };
}
