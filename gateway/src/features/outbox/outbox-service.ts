import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { OutboxStore } from './outbox-store-type.js';
import type { OutboxFilter, OutboxMessage } from './outbox-types.js';

export type OutboxListInput = Omit<OutboxFilter, 'accountId' | 'limit'> & { limit?: number };

/** The outbox seen by admins: what is waiting, what failed and why; retry one row or replay a call or a time range. */
export class OutboxService {
  constructor(private readonly deps: { db: Db; store: OutboxStore; audit: AuditLog; clock: Clock; wake: () => void }) {}

  list(actor: Principal, f: OutboxListInput): Promise<OutboxMessage[]> {
    return this.deps.store.list(this.deps.db, { ...f, accountId: actor.accountId, limit: f.limit ?? 50 });
  }

  async get(actor: Principal, id: string): Promise<OutboxMessage> {
    const row = await this.deps.store.get(this.deps.db, actor.accountId, id);
    if (!row) throw new NotFoundError(`Outbox message ${id} not found`);
    return row;
  }

  async retry(actor: Principal, id: string): Promise<OutboxMessage> {
    const current = await this.get(actor, id);
    const row = await this.deps.store.retry(this.deps.db, actor.accountId, id, this.deps.clock.now());
    if (!row) throw new ConflictError(`Outbox message ${id} is ${current.status}; only pending, dead or cancelled ones can be retried`);
    await this.deps.audit.record(this.deps.db, actor, { action: 'outbox.retry', targetType: 'outbox', targetId: id });
    this.deps.wake();
    return row;
  }

  /** Sends again everything of one call, or created in [from, to), optionally for one sink. */
  async replay(actor: Principal, r: { callId?: string; from?: Date; to?: Date; sinkId?: string }): Promise<number> {
    if (!r.callId && !(r.from && r.to)) throw new BadDataError('Replay needs a callId, or both from and to');
    if (r.from && r.to && r.from >= r.to) throw new BadDataError('from must be before to');
    const n = await this.deps.store.replay(
      this.deps.db,
      {
        accountId: actor.accountId,
        ...(r.callId ? { callId: r.callId } : {}),
        ...(r.from ? { createdFrom: r.from } : {}),
        ...(r.to ? { createdTo: r.to } : {}),
        ...(r.sinkId ? { sinkId: r.sinkId } : {}),
      },
      this.deps.clock.now(),
    );
    await this.deps.audit.record(this.deps.db, actor, {
      action: 'outbox.replay',
      targetType: 'outbox',
      details: { callId: r.callId ?? null, from: r.from?.toISOString() ?? null, to: r.to?.toISOString() ?? null, sinkId: r.sinkId ?? null, rows: n },
    });
    if (n) this.deps.wake();
    return n;
  }
}
