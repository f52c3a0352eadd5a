import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ForbiddenError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { hashPassword, verifyPassword } from '../users/password.js';
import type { CONSOLE_LOCALES } from './me-schemas.js';

export type ConsoleLocale = (typeof CONSOLE_LOCALES)[number];

export interface MyProfile {
  readonly accountId: string;
  readonly userId: string | null;
  readonly email: string | null;
  readonly name: string | null;
  readonly role: Principal['role'];
  readonly locale: ConsoleLocale | null;
}

interface ProfileRow {
  email: string;
  name: string;
  locale: ConsoleLocale | null;
  password_hash: string | null;
}

/** What a signed-in person changes about themselves: language and password. Admin changes to others stay in users/. */
export class MeService {
  constructor(private readonly deps: { db: Db; audit: AuditLog }) {}

  async profile(actor: Principal): Promise<MyProfile> {
    const base = { accountId: actor.accountId, userId: actor.userId, role: actor.role };
    if (!actor.userId) return { ...base, email: null, name: null, locale: null };
    const row = await this.row(actor);
    return { ...base, email: row.email, name: row.name, locale: row.locale };
  }

  async setLocale(actor: Principal, locale: ConsoleLocale | null): Promise<MyProfile> {
    const userId = this.requireUser(actor);
    await this.deps.db('users').where({ id: userId, account_id: actor.accountId }).update({ locale, updated_at: new Date() });
    return this.profile(actor);
  }

  async changePassword(actor: Principal, current: string, next: string, ip: string | null): Promise<void> {
    const userId = this.requireUser(actor);
    const row = await this.row(actor);
    if (!row.password_hash || !(await verifyPassword(current, row.password_hash))) {
      throw new BadDataError('The current password is wrong', [{ path: 'body/currentPassword', message: 'The current password is wrong' }]);
    }
    if (current === next)
      throw new BadDataError('The new password is the same as the current one', [{ path: 'body/newPassword', message: 'Same as the current one' }]);
    await this.deps.db.transaction(async (trx) => {
      await trx('users')
        .where({ id: userId })
        .update({ password_hash: await hashPassword(next), updated_at: new Date() });
      await this.deps.audit.record(trx, actor, { action: 'user.password_change', targetType: 'user', targetId: userId, ip });
    });
  }

  private requireUser(actor: Principal): string {
    if (!actor.userId) throw new ForbiddenError('Only a signed-in person has settings; API keys do not');
    return actor.userId;
  }

  private async row(actor: Principal): Promise<ProfileRow> {
    const row = (await this.deps
      .db('users')
      .select('email', 'name', 'locale', 'password_hash')
      .where({ id: actor.userId, account_id: actor.accountId })
      .first()) as ProfileRow | undefined;
    if (!row) throw new NotFoundError('User not found');
    return row;
  }
}
