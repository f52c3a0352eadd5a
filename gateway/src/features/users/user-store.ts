import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Role } from '../../http/principal.js';

export interface User {
  readonly id: string;
  readonly accountId: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

export interface UserWithSecret extends User {
  readonly passwordHash: string | null;
}

export interface NewUser {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string | null;
}

export interface UserPatch {
  name?: string;
  role?: Role;
  passwordHash?: string;
  disabledAt?: Date | null;
}

export interface UserStore {
  create(db: DbOrTrx, user: NewUser): Promise<User>;
  get(db: DbOrTrx, accountId: string, id: string): Promise<User | null>;
  list(db: DbOrTrx, accountId: string): Promise<User[]>;
  findByEmailWithSecret(db: DbOrTrx, email: string): Promise<UserWithSecret | null>;
  update(db: DbOrTrx, accountId: string, id: string, patch: UserPatch): Promise<User | null>;
  countOwners(db: DbOrTrx, accountId: string): Promise<number>;
}

const TABLE = 'users';
const COLUMNS = ['id', 'account_id', 'email', 'name', 'role', 'created_at', 'disabled_at'] as const;

interface UserRow {
  id: string;
  account_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash?: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

const toDomain = (row: UserRow): User => ({
  id: row.id,
  accountId: row.account_id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

export class PgUserStore implements UserStore {
  async create(db: DbOrTrx, u: NewUser): Promise<User> {
    const [row] = await db(TABLE)
      .insert({ id: u.id, account_id: u.accountId, email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash })
      .returning(COLUMNS);
    return toDomain(row as UserRow);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<User | null> {
    const row = await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first();
    return row ? toDomain(row) : null;
  }

  async list(db: DbOrTrx, accountId: string): Promise<User[]> {
    const rows = await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .orderBy('created_at');
    return rows.map(toDomain);
  }

  async findByEmailWithSecret(db: DbOrTrx, email: string): Promise<UserWithSecret | null> {
    const row = await db(TABLE)
      .select(...COLUMNS, 'password_hash')
      .whereRaw('lower(email) = lower(?)', [email])
      .first();
    return row ? { ...toDomain(row), passwordHash: row.password_hash ?? null } : null;
  }

  async update(db: DbOrTrx, accountId: string, id: string, patch: UserPatch): Promise<User | null> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.passwordHash !== undefined) changes.password_hash = patch.passwordHash;
    if (patch.disabledAt !== undefined) changes.disabled_at = patch.disabledAt;
    const [row] = await db(TABLE).where({ account_id: accountId, id }).update(changes).returning(COLUMNS);
    return row ? toDomain(row as UserRow) : null;
  }

  async countOwners(db: DbOrTrx, accountId: string): Promise<number> {
    const row = (await db(TABLE).where({ account_id: accountId, role: 'owner' }).whereNull('disabled_at').count<{ n: number }[]>('* as n').first()) as
      | { n: number }
      | undefined;
    return Number(row?.n ?? 0);
  }
}
