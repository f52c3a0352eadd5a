import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Role } from '../../http/principal.js';

export interface ApiKey {
  readonly id: string;
  readonly accountId: string;
  readonly userId: string | null;
  readonly name: string;
  readonly role: Role;
  readonly displayPrefix: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface NewApiKey {
  id: string;
  accountId: string;
  userId: string | null;
  name: string;
  role: Role;
  displayPrefix: string;
  keyHash: string;
  expiresAt: Date | null;
}

export interface ApiKeyStore {
  create(db: DbOrTrx, key: NewApiKey): Promise<ApiKey>;
  findActiveByHash(db: DbOrTrx, keyHash: string, now: Date): Promise<ApiKey | null>;
  list(db: DbOrTrx, accountId: string): Promise<ApiKey[]>;
  revoke(db: DbOrTrx, accountId: string, id: string, at: Date): Promise<boolean>;
  touch(db: DbOrTrx, id: string, at: Date): Promise<void>;
}

const TABLE = 'api_keys';
const COLUMNS = ['id', 'account_id', 'user_id', 'name', 'role', 'display_prefix', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'] as const;

interface ApiKeyRow {
  id: string;
  account_id: string;
  user_id: string | null;
  name: string;
  role: Role;
  display_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const toDomain = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  accountId: r.account_id,
  userId: r.user_id,
  name: r.name,
  role: r.role,
  displayPrefix: r.display_prefix,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

// A PBX key can only push recordings: it ranks below every user role, so capping never raises it.
const RANK: Record<Role, number> = { owner: 3, admin: 2, manager: 1, analyst: 1, pbx: 0 };

/** A key's role, never above its user's: a demoted user's keys are demoted with them. */
export function cappedRole(keyRole: Role, userRole: Role): Role {
  return RANK[keyRole] < RANK[userRole] || keyRole === userRole ? keyRole : userRole;
}

export class PgApiKeyStore implements ApiKeyStore {
  async create(db: DbOrTrx, k: NewApiKey): Promise<ApiKey> {
    const [row] = await db(TABLE)
      .insert({
        id: k.id,
        account_id: k.accountId,
        user_id: k.userId,
        name: k.name,
        role: k.role,
        display_prefix: k.displayPrefix,
        key_hash: k.keyHash,
        expires_at: k.expiresAt,
      })
      .returning(COLUMNS);
    return toDomain(row as ApiKeyRow);
  }

  async findActiveByHash(db: DbOrTrx, keyHash: string, now: Date): Promise<ApiKey | null> {
    // A key acts for its user: the user's state and role now, not when the key was made (keys of no user, such as
    // the bootstrap key, stand on their own).
    const row = (await db(`${TABLE} as k`)
      .leftJoin('users as u', 'u.id', 'k.user_id')
      .select(...COLUMNS.map((c) => `k.${c}`), 'u.role as user_role')
      .where('k.key_hash', keyHash)
      .whereNull('k.revoked_at')
      .andWhere((q) => q.whereNull('k.expires_at').orWhere('k.expires_at', '>', now))
      .andWhere((q) => q.whereNull('k.user_id').orWhere((w) => w.whereNotNull('u.id').whereNull('u.disabled_at')))
      .first()) as (ApiKeyRow & { user_role: Role | null }) | undefined;
    if (!row) return null;
    const key = toDomain(row);
    return row.user_role ? { ...key, role: cappedRole(key.role, row.user_role) } : key;
  }

  async list(db: DbOrTrx, accountId: string): Promise<ApiKey[]> {
    const rows = await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .orderBy('created_at');
    return rows.map(toDomain);
  }

  async revoke(db: DbOrTrx, accountId: string, id: string, at: Date): Promise<boolean> {
    const n = await db(TABLE).where({ account_id: accountId, id }).whereNull('revoked_at').update({ revoked_at: at });
    return n > 0;
  }

  async touch(db: DbOrTrx, id: string, at: Date): Promise<void> {
    await db(TABLE).where({ id }).update({ last_used_at: at });
  }
}
