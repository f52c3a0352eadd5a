import type { Db } from '../../adapters/db/knex.js';
import { NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { BlockedCaller, PgBlockedCallerStore } from './blocked-caller-store.js';

/** A site's blocked callers: refused politely by the routing table, logged as calls, never leads. */
export class BlockedCallerService {
  constructor(private readonly deps: { db: Db; blocked: PgBlockedCallerStore; audit: AuditLog; bus: EventBus }) {}

  private async assertSite(actor: Principal, siteId: string): Promise<void> {
    if (!(await this.deps.blocked.siteExists(this.deps.db, actor.accountId, siteId))) throw new NotFoundError(`Site ${siteId} not found`);
  }

  async listBlocked(actor: Principal, siteId: string): Promise<BlockedCaller[]> {
    await this.assertSite(actor, siteId);
    return this.deps.blocked.list(this.deps.db, actor.accountId, siteId);
  }

  async block(actor: Principal, siteId: string, e164: string, reason: string): Promise<BlockedCaller> {
    await this.assertSite(actor, siteId);
    const b = await this.deps.blocked.add(this.deps.db, { id: newId(), accountId: actor.accountId, siteId, e164, reason });
    await this.deps.audit.record(this.deps.db, actor, { action: 'caller.block', targetType: 'site', targetId: siteId, details: { e164 } });
    await this.deps.bus.emit('routing.changed', { accountId: actor.accountId });
    return b;
  }

  async unblock(actor: Principal, siteId: string, e164: string): Promise<void> {
    if (!(await this.deps.blocked.remove(this.deps.db, actor.accountId, siteId, e164)))
      throw new NotFoundError(`${e164} is not blocked on site ${siteId}`);
    await this.deps.audit.record(this.deps.db, actor, { action: 'caller.unblock', targetType: 'site', targetId: siteId, details: { e164 } });
    await this.deps.bus.emit('routing.changed', { accountId: actor.accountId });
  }
}
