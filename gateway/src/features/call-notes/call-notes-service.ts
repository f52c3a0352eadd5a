import type { Db } from '../../adapters/db/knex.js';
import { NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { emptyNotes } from './call-notes-store.js';
import type { CallNotes, PgCallNotesStore } from './call-notes-store.js';

export class CallNotesService {
  constructor(private readonly deps: { db: Db; store: PgCallNotesStore; audit: AuditLog }) {}

  async get(actor: Principal, callId: string): Promise<CallNotes> {
    await this.requireCall(actor, callId);
    return (await this.deps.store.get(this.deps.db, actor.accountId, callId)) ?? emptyNotes(callId);
  }

  /** A field given replaces, one left out stays; every change is audited with what changed. */
  async update(actor: Principal, callId: string, patch: { tags?: string[]; note?: string; spam?: boolean }): Promise<CallNotes> {
    await this.requireCall(actor, callId);
    return this.deps.db.transaction(async (trx) => {
      const cur = (await this.deps.store.get(trx, actor.accountId, callId)) ?? emptyNotes(callId);
      const tags = patch.tags ? [...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))] : cur.tags;
      const next = await this.deps.store.put(trx, actor.accountId, {
        callId,
        tags,
        note: patch.note ?? cur.note,
        spam: patch.spam ?? cur.spam,
        updatedAt: null,
        updatedBy: actor.userId ?? actor.apiKeyId,
      });
      const changes: Record<string, unknown> = {};
      if (patch.tags && JSON.stringify(cur.tags) !== JSON.stringify(next.tags)) changes.tags = { from: cur.tags, to: next.tags };
      if (patch.note !== undefined && patch.note !== cur.note) changes.note = true;
      if (patch.spam !== undefined && patch.spam !== cur.spam) changes.spam = { from: cur.spam, to: next.spam };
      if (Object.keys(changes).length) {
        await this.deps.audit.record(trx, actor, { action: 'call.notes', targetType: 'call', targetId: callId, details: changes });
      }
      return next;
    });
  }

  tags(actor: Principal): Promise<{ tag: string; calls: number }[]> {
    return this.deps.store.tags(this.deps.db, actor.accountId);
  }

  private async requireCall(actor: Principal, callId: string): Promise<void> {
    const row = await this.deps.db('calls').select('id').where({ id: callId, account_id: actor.accountId }).first();
    if (!row) throw new NotFoundError(`Call ${callId} not found`);
  }
}
