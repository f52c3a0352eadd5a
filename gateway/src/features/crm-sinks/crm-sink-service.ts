import { createHash, randomBytes } from 'node:crypto';
import type { Db, DbOrTrx } from '../../adapters/db/knex.js';
import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import { validateOrThrow } from '../../http/validation.js';
import type { Schema } from '../../http/validation.js';
import type { Clock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { AccountStore } from '../accounts/account-store.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { LeadTrigger } from '../leads/lead-types.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { SINK_KIND_SCHEMAS } from './crm-sink-schemas.js';
import type { PgCrmSinkStore } from './crm-sink-store.js';
import type { CrmSink, CrmSinkKind } from './crm-sink-types.js';

export const DEFAULT_DELIVER_ON: readonly LeadTrigger[] = ['call.ended', 'recording.ready'];
const ENV_MANAGED = 'env';
/** The reason stored when a sink is disabled on purpose (not by a delivery failure). */
const DISABLED_BY_USER = 'disabled by a user';

export interface CreateCrmSinkInput {
  kind: CrmSinkKind;
  name: string;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
  deliverOn?: readonly LeadTrigger[];
  /**
   * Created disabled (in the same statement: a sink created active and disabled after it could be given the leads
   * of calls applied in between).
   */
  disabled?: boolean;
}

export interface UpdateCrmSinkInput {
  name?: string;
  config?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  deliverOn?: readonly LeadTrigger[];
  status?: 'active' | 'disabled';
}

export const hashFeedbackToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A site's CRM sinks: validated per kind, secrets sealed, a feedback token handed out once. */
export class CrmSinkService {
  constructor(
    private readonly deps: {
      db: Db;
      sinks: PgCrmSinkStore;
      sites: SiteStore;
      accounts: AccountStore;
      audit: AuditLog;
      box: SecretBox;
      clock: Clock;
      /** Throws when a URL leads to a private, loopback or metadata address (the outbound guard). */
      checkUrl?: (url: URL) => Promise<void>;
    },
  ) {}

  /** Every http(s) URL of a sink's config and secrets, checked where it resolves now (and again on every request). */
  private async checkUrls(config: Record<string, unknown>, secrets: Record<string, unknown>): Promise<void> {
    const check = this.deps.checkUrl;
    if (!check) return;
    for (const [where, values] of [
      ['config', config],
      ['secrets', secrets],
    ] as const) {
      for (const [key, value] of Object.entries(values)) {
        if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) continue;
        try {
          await check(new URL(value));
        } catch (err) {
          throw new BadDataError('The URL leads to an address this gateway does not call', [
            { path: `body/${where}/${key}`, message: (err as Error).message },
          ]);
        }
      }
    }
  }

  async list(actor: Principal, siteId: string): Promise<CrmSink[]> {
    await this.site(actor, siteId);
    return this.deps.sinks.listBySite(this.deps.db, actor.accountId, siteId);
  }

  async get(actor: Principal, siteId: string, id: string): Promise<CrmSink> {
    const sink = await this.deps.sinks.get(this.deps.db, actor.accountId, id);
    if (!sink || sink.siteId !== siteId) throw new NotFoundError(`CRM sink ${id} not found`);
    return sink;
  }

  async create(actor: Principal, siteId: string, input: CreateCrmSinkInput): Promise<{ sink: CrmSink; feedbackToken: string }> {
    await this.site(actor, siteId);
    checkKind(input.kind, input.config, input.secrets);
    await this.checkUrls(input.config, input.secrets);
    const feedbackToken = `ctf_${randomBytes(24).toString('base64url')}`;
    return this.deps.db.transaction(async (trx) => {
      const sink = await this.deps.sinks.create(trx, {
        id: newId(),
        accountId: actor.accountId,
        siteId,
        kind: input.kind,
        name: input.name,
        config: input.config,
        secretsSealed: this.deps.box.seal(JSON.stringify(input.secrets)),
        deliverOn: input.deliverOn ?? DEFAULT_DELIVER_ON,
        feedbackTokenHash: hashFeedbackToken(feedbackToken),
        managedBy: null,
        ...(input.disabled ? { disabledReason: DISABLED_BY_USER } : {}),
      });
      await this.deps.audit.record(trx, actor, { action: 'crm_sink.create', targetType: 'crm_sink', targetId: sink.id });
      return { sink, feedbackToken };
    });
  }

  async update(actor: Principal, siteId: string, id: string, input: UpdateCrmSinkInput): Promise<CrmSink> {
    const current = await this.get(actor, siteId, id);
    let secrets = input.secrets;
    if (input.config && !secrets) {
      // Config and secrets are checked together: a new config may need secrets the old one did not.
      const sealed = await this.deps.sinks.getSecrets(this.deps.db, actor.accountId, id);
      secrets = sealed ? (JSON.parse(this.deps.box.open(sealed)) as Record<string, unknown>) : {};
    }
    if (input.config || input.secrets) {
      checkKind(current.kind, input.config ?? { ...current.config }, secrets ?? {});
      await this.checkUrls(input.config ?? {}, input.secrets ?? {});
    }
    return this.deps.db.transaction(async (trx) => {
      const sink = await this.deps.sinks.update(
        trx,
        actor.accountId,
        id,
        {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.config !== undefined ? { config: input.config } : {}),
          ...(input.secrets !== undefined ? { secretsSealed: this.deps.box.seal(JSON.stringify(input.secrets)) } : {}),
          ...(input.deliverOn !== undefined ? { deliverOn: input.deliverOn } : {}),
          ...(input.status !== undefined ? { status: input.status, disabledReason: input.status === 'disabled' ? DISABLED_BY_USER : null } : {}),
        },
        this.deps.clock.now(),
      );
      await this.deps.audit.record(trx, actor, { action: 'crm_sink.update', targetType: 'crm_sink', targetId: id });
      return sink!;
    });
  }

  async delete(actor: Principal, siteId: string, id: string): Promise<void> {
    await this.get(actor, siteId, id);
    await this.deps.db.transaction(async (trx) => {
      await this.deps.sinks.delete(trx, actor.accountId, id);
      await this.deps.audit.record(trx, actor, { action: 'crm_sink.delete', targetType: 'crm_sink', targetId: id });
    });
  }

  /**
   * Single-tenant installs: LEADS_WEBHOOK_URL + LEADS_WEBHOOK_SECRET make one webhook sink for every site of the default
   * (oldest) account. Kept in step with the environment at each start; returns null when there is no account yet.
   */
  async ensureEnvWebhookSink(env: { url: string; secret: string } | null): Promise<CrmSink | null> {
    const db = this.deps.db;
    const account = await this.deps.accounts.first(db);
    if (!account) return null;
    const existing = await this.deps.sinks.findManaged(db, account.id, ENV_MANAGED);
    if (!env) {
      if (existing && existing.status === 'active') {
        await this.deps.sinks.update(
          db,
          account.id,
          existing.id,
          { status: 'disabled', disabledReason: 'LEADS_WEBHOOK_URL is not set' },
          this.deps.clock.now(),
        );
      }
      return null;
    }
    checkKind('webhook', { url: env.url }, { secret: env.secret });
    const sealed = this.deps.box.seal(JSON.stringify({ secret: env.secret }));
    if (existing) {
      return this.deps.sinks.update(
        db,
        account.id,
        existing.id,
        { config: { url: env.url }, secretsSealed: sealed, status: 'active', disabledReason: null },
        this.deps.clock.now(),
      );
    }
    return this.deps.sinks.create(db, {
      id: newId(),
      accountId: account.id,
      siteId: null,
      kind: 'webhook',
      name: 'Leads webhook (LEADS_WEBHOOK_URL)',
      config: { url: env.url },
      secretsSealed: sealed,
      deliverOn: ['call.started', 'call.ended', 'recording.ready'],
      feedbackTokenHash: null,
      managedBy: ENV_MANAGED,
    });
  }

  private async site(actor: Principal, siteId: string): Promise<void> {
    if (!(await this.deps.sites.get(this.deps.db as DbOrTrx, actor.accountId, siteId))) throw new NotFoundError(`Site ${siteId} not found`);
  }
}

function checkKind(kind: CrmSinkKind, config: Record<string, unknown>, secrets: Record<string, unknown>): void {
  const s = SINK_KIND_SCHEMAS[kind];
  try {
    validateOrThrow(s.config as Schema, config, 'body/config');
    validateOrThrow(s.secrets as Schema, secrets, 'body/secrets');
  } catch (err) {
    if (err instanceof BadDataError) throw err;
    throw new BadDataError(`Invalid ${kind} sink settings`);
  }
}
