import type { Db } from '../../adapters/db/knex.js';
import type { NumberWebhooks, TwilioNumbersApi } from '../../adapters/telephony/twilio/twilio-rest.js';
import type { WebhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import { BadDataError, ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Logger } from '../../logging/logger.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { PgProviderAccountStore } from '../provider-accounts/provider-account-store.js';
import { numberNotAvailable } from '../tracking-numbers/tracking-number-service.js';
import type { PgTwilioNumberStore, TwilioTrackingNumber } from './twilio-number-store.js';

export interface TwilioNumberServiceDeps {
  readonly db: Db;
  readonly numbers: PgTwilioNumberStore;
  readonly providerAccounts: PgProviderAccountStore;
  readonly audit: AuditLog;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly urls: WebhookUrls;
  /** The environment's login for the default account (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN). */
  readonly defaultTwilio: { accountSid: string; authToken: string } | null;
  readonly voiceFallbackUrl: string | null;
  readonly api: (creds: { accountSid: string; authToken: string }) => TwilioNumbersApi;
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/** Search, buy, re-point and release Twilio numbers; every bought number points its webhooks at this gateway. */
export class TwilioNumberService {
  constructor(private readonly deps: TwilioNumberServiceDeps) {}

  private async api(actor: Principal): Promise<TwilioNumbersApi> {
    const stored = await this.deps.providerAccounts.getForAccount(this.deps.db, actor.accountId, 'twilio');
    if (stored) return this.deps.api({ accountSid: stored.externalId, authToken: stored.secret });
    const d = this.deps.defaultTwilio;
    if (d && (await this.deps.numbers.defaultAccountId(this.deps.db)) === actor.accountId) return this.deps.api(d);
    throw new ConflictError('Twilio is not connected for this account: PUT /v1/twilio/credentials first');
  }

  private webhooks(): NumberWebhooks {
    return { voiceUrl: this.deps.urls.voice, statusCallback: this.deps.urls.status, voiceFallbackUrl: this.deps.voiceFallbackUrl };
  }

  /** Stores the account's Twilio login, the auth token encrypted; webhooks from that Account SID verify with it. */
  async connect(actor: Principal, creds: { accountSid: string; authToken: string }): Promise<{ accountSid: string }> {
    // The environment's SID is the default account's: no other tenant may claim it, whatever token it brings.
    // An Account SID is no secret (it is in every media URL): only a token Twilio accepts proves the login is the
    // caller's, so nothing is stored (and nobody else's webhooks can be broken) before Twilio says yes.
    const account = await this.deps.api(creds).verifyAccount();
    if (account.status !== 'active')
      throw new BadDataError(`This Twilio account is ${account.status}`, [{ path: 'body/accountSid', message: 'The Twilio account is not active' }]);
    // The environment's SID is the default account's: no other tenant may claim it, whatever token it brings. That
    // and a login another account connected get one answer, after Twilio's check, so neither tells who holds what.
    const d = this.deps.defaultTwilio;
    const envSidOfAnother = d && d.accountSid === creds.accountSid && (await this.deps.numbers.defaultAccountId(this.deps.db)) !== actor.accountId;
    const existing = await this.deps.providerAccounts.getByExternalId(this.deps.db, 'twilio', creds.accountSid);
    if (envSidOfAnother || (existing && existing.accountId !== actor.accountId))
      throw new ConflictError('This Twilio account cannot be connected here');
    await this.deps.providerAccounts.upsert(this.deps.db, {
      id: newId(),
      accountId: actor.accountId,
      provider: 'twilio',
      externalId: creds.accountSid,
      secret: creds.authToken,
    });
    await this.deps.audit.record(this.deps.db, actor, { action: 'twilio.connect', targetType: 'provider_account', targetId: creds.accountSid });
    await this.deps.bus.emit('routing.changed', { accountId: actor.accountId });
    return { accountSid: creds.accountSid };
  }

  async search(actor: Principal, q: { country: string; areaCode?: number; contains?: string; limit: number }) {
    return (await this.api(actor)).search(q);
  }

  async buy(
    actor: Principal,
    r: { phoneNumber: string; siteId: string; poolId?: string | null; forwardTo?: string | null },
  ): Promise<TwilioTrackingNumber> {
    const { db, numbers } = this.deps;
    if (!(await numbers.siteExists(db, actor.accountId, r.siteId))) throw new NotFoundError(`Site ${r.siteId} not found`);
    if (r.poolId && (await numbers.poolSite(db, actor.accountId, r.poolId)) !== r.siteId) {
      throw new BadDataError('The pool is not on this site', [{ path: 'body/poolId', message: 'No such pool on this site' }]);
    }
    const api = await this.api(actor);
    const bought = await api.buy({ phoneNumber: r.phoneNumber, friendlyName: `calltrack ${r.phoneNumber}`, ...this.webhooks() });
    try {
      const n = await numbers.insert(db, {
        id: newId(),
        accountId: actor.accountId,
        siteId: r.siteId,
        poolId: r.poolId ?? null,
        e164: bought.e164,
        providerRef: bought.sid,
        forwardTo: r.forwardTo ?? null,
      });
      await this.deps.audit.record(db, actor, { action: 'number.buy', targetType: 'tracking_number', targetId: n.id, details: { e164: n.e164 } });
      await this.changed(actor.accountId, [n.poolId]);
      return n;
    } catch (err) {
      // Paid for but not recorded: give it back rather than keep a number nobody routes.
      await api
        .release(bought.sid)
        .catch((e: unknown) => this.deps.logger.error({ err: e, sid: bought.sid }, 'could not release a number after a failed insert'));
      if (isUniqueViolation(err)) throw numberNotAvailable(bought.e164);
      throw err;
    }
  }

  async update(actor: Principal, id: string, p: { forwardTo?: string | null; poolId?: string | null }): Promise<TwilioTrackingNumber> {
    const { db, numbers } = this.deps;
    const current = await this.getLive(actor, id);
    if (p.poolId && (await numbers.poolSite(db, actor.accountId, p.poolId)) !== current.siteId) {
      throw new BadDataError('The pool is not on this number’s site', [{ path: 'body/poolId', message: 'No such pool on this site' }]);
    }
    const n = (await numbers.update(db, actor.accountId, id, p))!;
    await this.changed(actor.accountId, p.poolId !== undefined ? [current.poolId, n.poolId] : []);
    return n;
  }

  /** Points the number's voice and status URLs (back) at this gateway, e.g. after PUBLIC_BASE_URL changed. */
  async repoint(actor: Principal, id: string): Promise<TwilioTrackingNumber> {
    const n = await this.getLive(actor, id);
    if (!n.providerRef) throw new BadDataError('This number has no Twilio SID');
    await (await this.api(actor)).repoint(n.providerRef, this.webhooks());
    await this.deps.audit.record(this.deps.db, actor, { action: 'number.repoint', targetType: 'tracking_number', targetId: id });
    return n;
  }

  /** Gives the number back to Twilio; the row stays (released) so past calls keep their number. */
  async release(actor: Principal, id: string): Promise<void> {
    const n = await this.getLive(actor, id);
    if (n.providerRef) {
      try {
        await (await this.api(actor)).release(n.providerRef);
      } catch (err) {
        // Already gone at Twilio: finish the job here.
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    await this.deps.numbers.markReleased(this.deps.db, actor.accountId, id);
    await this.deps.audit.record(this.deps.db, actor, {
      action: 'number.release',
      targetType: 'tracking_number',
      targetId: id,
      details: { e164: n.e164 },
    });
    await this.changed(actor.accountId, [n.poolId]);
  }

  /**
   * Routing changed; so did every pool that gained or lost the number: its live lease state and the widget's pool
   * caches follow `pool.changed` (without it a bought number was leased only after the next resync or restart).
   */
  private async changed(accountId: string, pools: readonly (string | null)[]): Promise<void> {
    await this.deps.bus.emit('routing.changed', { accountId });
    for (const poolId of new Set(pools)) if (poolId) await this.deps.bus.emit('pool.changed', { accountId, poolId });
  }

  private async getLive(actor: Principal, id: string): Promise<TwilioTrackingNumber> {
    const n = await this.deps.numbers.get(this.deps.db, actor.accountId, id);
    if (!n || n.status === 'released') throw new NotFoundError(`Number ${id} not found`);
    return n;
  }
}
