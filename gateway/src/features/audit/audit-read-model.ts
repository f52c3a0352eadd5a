import type { DbOrTrx } from '../../adapters/db/knex.js';

export interface AuditView {
  readonly id: string;
  readonly at: Date;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly actor: { readonly userId: string | null; readonly apiKeyId: string | null; readonly label: string | null };
  readonly ip: string | null;
  readonly details: Record<string, unknown>;
}

export interface AuditFilter {
  readonly action?: string;
  readonly actionPrefix?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly actorUserId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly before?: { at: Date; id: string };
  readonly limit: number;
}

interface Row {
  id: string;
  at: Date;
  action: string;
  target_type: string | null;
  target_id: string | null;
  actor_user_id: string | null;
  actor_key_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  user_email: string | null;
  key_name: string | null;
}

/** The audit log as people read it: who (by email or key name), what, on which object; newest first. */
export class AuditReadModel {
  async list(db: DbOrTrx, accountId: string, f: AuditFilter): Promise<AuditView[]> {
    const q = db('audit_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_user_id')
      .leftJoin('api_keys as k', 'k.id', 'a.actor_key_id')
      .select('a.id', 'a.at', 'a.action', 'a.target_type', 'a.target_id', 'a.actor_user_id', 'a.actor_key_id', 'a.ip', 'a.details')
      .select({ user_email: 'u.email', key_name: 'k.name' })
      .where('a.account_id', accountId);
    if (f.action) q.where('a.action', f.action);
    if (f.actionPrefix) q.whereLike('a.action', `${f.actionPrefix.replace(/[%_\\]/g, '\\$&')}%`);
    if (f.targetType) q.where('a.target_type', f.targetType);
    if (f.targetId) q.where('a.target_id', f.targetId);
    if (f.actorUserId) q.where('a.actor_user_id', f.actorUserId);
    if (f.from) q.where('a.at', '>=', f.from);
    if (f.to) q.where('a.at', '<', f.to);
    if (f.before) {
      const b = f.before;
      q.where((w) => w.where('a.at', '<', b.at).orWhere((x) => x.where('a.at', b.at).andWhere('a.id', '<', b.id)));
    }
    const rows = (await q.orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(f.limit)) as Row[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      actor: { userId: r.actor_user_id, apiKeyId: r.actor_key_id, label: r.user_email ?? r.key_name },
      ip: r.ip,
      details: r.details ?? {},
    }));
  }
}
