import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Role } from '../../http/principal.js';

export interface ConsoleSession {
  readonly id: string;
  readonly accountId: string;
  readonly userId: string;
  readonly role: Role;
  readonly expiresAt: Date;
  readonly lastSeenAt: Date;
}

export interface SessionStore {
  create(
    db: DbOrTrx,
    s: { id: string; accountId: string; userId: string; tokenHash: string; expiresAt: Date; userAgent: string | null },
  ): Promise<void>;
  /** The session with its user's current role; null when expired, unknown or the user is disabled. */
  findActive(db: DbOrTrx, tokenHash: string, now: Date): Promise<ConsoleSession | null>;
  extend(db: DbOrTrx, id: string, lastSeenAt: Date, expiresAt: Date): Promise<void>;
  delete(db: DbOrTrx, tokenHash: string): Promise<void>;
  deleteExpired(db: DbOrTrx, now: Date): Promise<number>;
  /** Ends every session of the user but `keepId` (a password change keeps the session that made it). */
  deleteForUser(db: DbOrTrx, accountId: string, userId: string, keepId: string | null): Promise<number>;
}

interface SessionRow {
  id: string;
  account_id: string;
  user_id: string;
  role: Role;
  expires_at: Date;
  last_seen_at: Date;
}

export class PgSessionStore implements SessionStore {
  async create(
    db: DbOrTrx,
    s: { id: string; accountId: string; userId: string; tokenHash: string; expiresAt: Date; userAgent: string | null },
  ): Promise<void> {
    await db('user_sessions').insert({
      id: s.id,
      account_id: s.accountId,
      user_id: s.userId,
      token_hash: s.tokenHash,
      expires_at: s.expiresAt,
      user_agent: s.userAgent,
    });
  }

  async findActive(db: DbOrTrx, tokenHash: string, now: Date): Promise<ConsoleSession | null> {
    const row = (await db('user_sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .select('s.id', 's.account_id', 's.user_id', 'u.role', 's.expires_at', 's.last_seen_at')
      .where('s.token_hash', tokenHash)
      .where('s.expires_at', '>', now)
      .whereNull('u.disabled_at')
      .first()) as SessionRow | undefined;
    return row
      ? { id: row.id, accountId: row.account_id, userId: row.user_id, role: row.role, expiresAt: row.expires_at, lastSeenAt: row.last_seen_at }
      : null;
  }

  async extend(db: DbOrTrx, id: string, lastSeenAt: Date, expiresAt: Date): Promise<void> {
    await db('user_sessions').where({ id }).update({ last_seen_at: lastSeenAt, expires_at: expiresAt });
  }

  async delete(db: DbOrTrx, tokenHash: string): Promise<void> {
    await db('user_sessions').where({ token_hash: tokenHash }).del();
  }

  async deleteForUser(db: DbOrTrx, accountId: string, userId: string, keepId: string | null): Promise<number> {
    const q = db('user_sessions').where({ account_id: accountId, user_id: userId });
    return (keepId ? q.whereNot({ id: keepId }) : q).del();
  }

  async deleteExpired(db: DbOrTrx, now: Date): Promise<number> {
    return db('user_sessions').where('expires_at', '<=', now).del();
  }
}
