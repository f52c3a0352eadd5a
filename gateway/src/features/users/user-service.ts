import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ConflictError, ForbiddenError, NotFoundError } from '../../errors/app-error.js';
import type { Principal, Role } from '../../http/principal.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { SessionStore } from '../auth/session-store.js';
import { hashPassword } from './password.js';
import type { User, UserStore } from './user-store.js';

export class UserService {
  constructor(private readonly deps: { db: Db; users: UserStore; audit: AuditLog; sessions?: SessionStore }) {}

  list(actor: Principal): Promise<User[]> {
    return this.deps.users.list(this.deps.db, actor.accountId);
  }

  async create(actor: Principal, input: { email: string; name?: string; role: Role; password?: string }): Promise<User> {
    if (input.role === 'owner' && actor.role !== 'owner') throw new ForbiddenError('Only an owner can add another owner');
    try {
      const user = await this.deps.users.create(this.deps.db, {
        id: newId(),
        accountId: actor.accountId,
        email: input.email,
        name: input.name ?? '',
        role: input.role,
        passwordHash: input.password ? await hashPassword(input.password) : null,
      });
      await this.deps.audit.record(this.deps.db, actor, {
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        details: { role: user.role },
      });
      return user;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`A user with email ${input.email} exists`);
      throw err;
    }
  }

  async update(actor: Principal, id: string, patch: { name?: string; role?: Role; password?: string; disabled?: boolean }): Promise<User> {
    const current = await this.deps.users.get(this.deps.db, actor.accountId, id);
    if (!current) throw new NotFoundError(`User ${id} not found`);
    const touchesOwner = current.role === 'owner' || patch.role === 'owner';
    if (touchesOwner && actor.role !== 'owner') throw new ForbiddenError('Only an owner can change an owner');
    const demotesOrDisablesOwner = current.role === 'owner' && ((patch.role && patch.role !== 'owner') || patch.disabled === true);
    if (demotesOrDisablesOwner && (await this.deps.users.countOwners(this.deps.db, actor.accountId)) <= 1) {
      throw new BadDataError('The account must keep at least one active owner');
    }
    const user = await this.deps.users.update(this.deps.db, actor.accountId, id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
      ...(patch.disabled !== undefined ? { disabledAt: patch.disabled ? new Date() : null } : {}),
    });
    if (!user) throw new NotFoundError(`User ${id} not found`);
    if (patch.password !== undefined) {
      // A new password ends the user's other console sessions: whoever knew the old one is logged out everywhere.
      const keep = actor.userId === id && actor.sessionId ? actor.sessionId : null;
      await this.deps.sessions?.deleteForUser(this.deps.db, actor.accountId, id, keep);
    }
    await this.deps.audit.record(this.deps.db, actor, {
      action: 'user.update',
      targetType: 'user',
      targetId: id,
      details: { fields: Object.keys(patch) },
    });
    return user;
  }
}
