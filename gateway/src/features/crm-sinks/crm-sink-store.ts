import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { LeadTrigger } from '../leads/lead-types.js';
import type { CrmSink, CrmSinkKind, CrmSinkPatch, NewCrmSink } from './crm-sink-types.js';

const TABLE = 'crm_sinks';
const COLUMNS = [
  'id',
  'account_id',
  'site_id',
  'kind',
  'name',
  'config',
  'deliver_on',
  'status',
  'disabled_reason',
  'managed_by',
  'created_at',
  'updated_at',
] as const;
const FLAGS = ['(secrets_sealed IS NOT NULL) AS has_secrets', '(feedback_token_hash IS NOT NULL) AS has_feedback_token'];

interface CrmSinkRow {
  id: string;
  account_id: string;
  site_id: string | null;
  kind: CrmSinkKind;
  name: string;
  config: Record<string, unknown>;
  deliver_on: LeadTrigger[];
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  managed_by: string | null;
  has_secrets: boolean;
  has_feedback_token: boolean;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: CrmSinkRow): CrmSink => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  kind: r.kind,
  name: r.name,
  config: r.config,
  deliverOn: r.deliver_on,
  status: r.status,
  disabledReason: r.disabled_reason,
  managedBy: r.managed_by,
  hasSecrets: r.has_secrets,
  hasFeedbackToken: r.has_feedback_token,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export class PgCrmSinkStore {
  private select(db: DbOrTrx) {
    return db(TABLE).select(...COLUMNS, ...FLAGS.map((f) => db.raw(f)));
  }

  async create(db: DbOrTrx, s: NewCrmSink): Promise<CrmSink> {
    await db(TABLE).insert({
      id: s.id,
      account_id: s.accountId,
      site_id: s.siteId,
      kind: s.kind,
      name: s.name,
      config: JSON.stringify(s.config),
      secrets_sealed: s.secretsSealed,
      deliver_on: [...s.deliverOn],
      feedback_token_hash: s.feedbackTokenHash,
      managed_by: s.managedBy,
      ...(s.disabledReason !== undefined ? { status: 'disabled', disabled_reason: s.disabledReason } : {}),
    });
    return (await this.get(db, s.accountId, s.id))!;
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<CrmSink | null> {
    const row = (await this.select(db).where({ account_id: accountId, id }).first()) as CrmSinkRow | undefined;
    return row ? toDomain(row) : null;
  }

  /** By id alone: for the CRM feedback endpoint, which proves who it is with the sink's own token or secret. */
  async getForFeedback(db: DbOrTrx, id: string): Promise<(CrmSink & { feedbackTokenHash: string | null; secretsSealed: string | null }) | null> {
    const row = (await this.select(db).select('feedback_token_hash', 'secrets_sealed').where({ id }).first()) as
      | (CrmSinkRow & { feedback_token_hash: string | null; secrets_sealed: string | null })
      | undefined;
    return row ? { ...toDomain(row), feedbackTokenHash: row.feedback_token_hash, secretsSealed: row.secrets_sealed } : null;
  }

  async getSecrets(db: DbOrTrx, accountId: string, id: string): Promise<string | null> {
    const row = (await db(TABLE).select('secrets_sealed').where({ account_id: accountId, id }).first()) as
      | { secrets_sealed: string | null }
      | undefined;
    return row?.secrets_sealed ?? null;
  }

  /** The site's own sinks and the account-wide ones. */
  async listForSite(db: DbOrTrx, accountId: string, siteId: string | null): Promise<CrmSink[]> {
    const q = this.select(db).where({ account_id: accountId });
    if (siteId) q.andWhere((w) => w.where('site_id', siteId).orWhereNull('site_id'));
    else q.whereNull('site_id');
    return ((await q.orderBy('id')) as CrmSinkRow[]).map(toDomain);
  }

  async listBySite(db: DbOrTrx, accountId: string, siteId: string): Promise<CrmSink[]> {
    return ((await this.select(db).where({ account_id: accountId, site_id: siteId }).orderBy('id')) as CrmSinkRow[]).map(toDomain);
  }

  async update(db: DbOrTrx, accountId: string, id: string, p: CrmSinkPatch, now: Date): Promise<CrmSink | null> {
    const n = await db(TABLE)
      .where({ account_id: accountId, id })
      .update({
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(p.config !== undefined ? { config: JSON.stringify(p.config) } : {}),
        ...(p.secretsSealed !== undefined ? { secrets_sealed: p.secretsSealed } : {}),
        ...(p.deliverOn !== undefined ? { deliver_on: [...p.deliverOn] } : {}),
        ...(p.status !== undefined ? { status: p.status } : {}),
        ...(p.disabledReason !== undefined ? { disabled_reason: p.disabledReason } : {}),
        updated_at: now,
      });
    return n ? this.get(db, accountId, id) : null;
  }

  async delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean> {
    return (await db(TABLE).where({ account_id: accountId, id }).del()) === 1;
  }

  /** The one sink `managedBy` names in an account (the env-configured webhook), or null. */
  async findManaged(db: DbOrTrx, accountId: string, managedBy: string): Promise<CrmSink | null> {
    const row = (await this.select(db).where({ account_id: accountId, managed_by: managedBy }).first()) as CrmSinkRow | undefined;
    return row ? toDomain(row) : null;
  }
}
