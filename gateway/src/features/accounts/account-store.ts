import type { DbOrTrx } from '../../adapters/db/knex.js';

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface AccountStore {
  create(db: DbOrTrx, account: { id: string; name: string }): Promise<Account>;
  get(db: DbOrTrx, id: string): Promise<Account | null>;
  count(db: DbOrTrx): Promise<number>;
  /** The oldest account: the default one of a single-tenant install. */
  first(db: DbOrTrx): Promise<Account | null>;
}

const TABLE = 'accounts';
const COLUMNS = ['id', 'name', 'created_at'] as const;

interface AccountRow {
  id: string;
  name: string;
  created_at: Date;
}

const toDomain = (row: AccountRow): Account => ({ id: row.id, name: row.name, createdAt: row.created_at });

export class PgAccountStore implements AccountStore {
  async create(db: DbOrTrx, account: { id: string; name: string }): Promise<Account> {
    const [row] = await db(TABLE).insert({ id: account.id, name: account.name }).returning(COLUMNS);
    return toDomain(row as AccountRow);
  }

  async get(db: DbOrTrx, id: string): Promise<Account | null> {
    const row = await db(TABLE)
      .select(...COLUMNS)
      .where({ id })
      .first();
    return row ? toDomain(row) : null;
  }

  async count(db: DbOrTrx): Promise<number> {
    const row = (await db(TABLE).count<{ n: number }[]>('* as n').first()) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  }

  async first(db: DbOrTrx): Promise<Account | null> {
    const row = await db(TABLE)
      .select(...COLUMNS)
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .first();
    return row ? toDomain(row) : null;
  }
}
