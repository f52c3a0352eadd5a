import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';

/**
 * knex migrations written as plain SQL: `sql/migrations/<timestamp>_<name>.sql`, each with a `-- migrate:up` and a
 * `-- migrate:down` section. Files are never edited once they have landed; a change is a new file.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../sql/migrations/', import.meta.url));

interface SqlMigration {
  name: string;
  up: string;
  down: string;
}

export function parseMigration(name: string, text: string): SqlMigration {
  const upAt = text.indexOf('-- migrate:up');
  const downAt = text.indexOf('-- migrate:down');
  if (upAt < 0 || downAt < upAt) throw new Error(`${name}: needs "-- migrate:up" followed by "-- migrate:down"`);
  return {
    name,
    up: text.slice(upAt + '-- migrate:up'.length, downAt).trim(),
    down: text.slice(downAt + '-- migrate:down'.length).trim(),
  };
}

export class SqlMigrationSource implements Knex.MigrationSource<SqlMigration> {
  constructor(private readonly dir: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<SqlMigration[]> {
    return readdirSync(this.dir)
      .filter((f) => /^\d{14}_[a-z0-9_]+\.sql$/.test(f))
      .sort()
      .map((f) => parseMigration(f, readFileSync(`${this.dir}/${f}`, 'utf8')));
  }

  getMigrationName(m: SqlMigration): string {
    return m.name;
  }

  async getMigration(m: SqlMigration): Promise<Knex.Migration> {
    return {
      up: async (knex: Knex) => {
        if (m.up) await knex.raw(m.up);
      },
      down: async (knex: Knex) => {
        if (m.down) await knex.raw(m.down);
      },
    };
  }
}

const LOCKED = /already locked/i;

/**
 * Brings the schema up to date. Several replicas may start at once: knex's lock table lets one migrate;
 * the others wait for it to finish instead of failing.
 */
export async function migrateLatest(knex: Knex, opts: { dir?: string; waitMs?: number } = {}): Promise<string[]> {
  const config = { migrationSource: new SqlMigrationSource(opts.dir) };
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  for (;;) {
    try {
      const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
      return applied;
    } catch (err) {
      if (!LOCKED.test(String((err as Error).message)) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function migrateRollback(knex: Knex, opts: { dir?: string; all?: boolean } = {}): Promise<string[]> {
  const [, rolled] = (await knex.migrate.rollback({ migrationSource: new SqlMigrationSource(opts.dir) }, opts.all ?? false)) as [number, string[]];
  return rolled;
}
