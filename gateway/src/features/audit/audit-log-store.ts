import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Principal } from '../../http/principal.js';
import { newId } from '../../shared/ids.js';

export interface AuditEntry {
  readonly id: string;
  readonly accountId: string;
  readonly actorUserId: string | null;
  readonly actorKeyId: string | null;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly ip: string | null;
  readonly details: Record<string, unknown>;
  readonly at: Date;
}

export interface AuditRecord {
  action: string;
  targetType?: string;
  targetId?: string;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Append-only record of who did what: logins, key changes, recording listens and downloads. */
export interface AuditLog {
  record(db: DbOrTrx, actor: Pick<Principal, 'accountId' | 'userId' | 'apiKeyId'>, entry: AuditRecord): Promise<void>;
  list(db: DbOrTrx, accountId: string, filter: { targetType?: string; targetId?: string; action?: string; limit: number }): Promise<AuditEntry[]>;
}

interface AuditRow {
  id: string;
  account_id: string;
  actor_user_id: string | null;
  actor_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  at: Date;
}

export class PgAuditLog implements AuditLog {
  async record(db: DbOrTrx, actor: Pick<Principal, 'accountId' | 'userId' | 'apiKeyId'>, e: AuditRecord): Promise<void> {
    await db('audit_log').insert({
      id: newId(),
      account_id: actor.accountId,
      actor_user_id: actor.userId,
      actor_key_id: actor.apiKeyId,
      action: e.action,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      ip: e.ip ?? null,
      details: JSON.stringify(e.details ?? {}),
    });
  }

  async list(db: DbOrTrx, accountId: string, f: { targetType?: string; targetId?: string; action?: string; limit: number }): Promise<AuditEntry[]> {
    const q = db('audit_log').where({ account_id: accountId });
    if (f.targetType) q.where({ target_type: f.targetType });
    if (f.targetId) q.where({ target_id: f.targetId });
    if (f.action) q.where({ action: f.action });
    const rows = (await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit)) as AuditRow[];
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      actorUserId: r.actor_user_id,
      actorKeyId: r.actor_key_id,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      ip: r.ip,
      details: r.details,
      at: r.at,
    }));
  }
}
