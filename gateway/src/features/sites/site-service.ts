import { randomBytes } from 'node:crypto';
import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { SiteStore } from './site-store-type.js';
import { DEFAULT_SITE_SETTINGS } from './site-types.js';
import type { Site, SitePatch, SiteSettings } from './site-types.js';

export interface CreateSiteInput {
  name: string;
  publicKey?: string;
  domains?: readonly string[];
  canonicalNumbers?: readonly string[];
  defaultForwardTo?: string | null;
  timezone?: string;
  settings?: Partial<SiteSettings>;
}

function assertTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new BadDataError(`Unknown time zone "${tz}"`, [{ path: 'body/timezone', message: `Unknown time zone "${tz}"` }]);
  }
}

// Intl knows the ISO 4217 codes the runtime can format; a code outside that list is a typo, not a currency.
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

function assertSettings(settings: Partial<SiteSettings> | undefined): void {
  const c = settings?.currency;
  if (c !== undefined && !CURRENCIES.has(c)) {
    throw new BadDataError(`Unknown currency "${c}"`, [{ path: 'body/settings/currency', message: `"${c}" is not an ISO 4217 currency code` }]);
  }
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

export class SiteService {
  constructor(private readonly deps: { db: Db; sites: SiteStore; audit: AuditLog; events: EventBus }) {}

  list(actor: Principal): Promise<Site[]> {
    return this.deps.sites.list(this.deps.db, actor.accountId);
  }

  async get(actor: Principal, id: string): Promise<Site> {
    const site = await this.deps.sites.get(this.deps.db, actor.accountId, id);
    if (!site) throw new NotFoundError(`Site ${id} not found`);
    return site;
  }

  async create(actor: Principal, input: CreateSiteInput): Promise<Site> {
    const timezone = input.timezone ?? 'UTC';
    assertTimezone(timezone);
    assertSettings(input.settings);
    try {
      const site = await this.deps.sites.create(this.deps.db, {
        id: newId(),
        accountId: actor.accountId,
        name: input.name,
        publicKey: input.publicKey ?? randomBytes(9).toString('base64url'),
        domains: input.domains ?? [],
        canonicalNumbers: input.canonicalNumbers ?? [],
        defaultForwardTo: input.defaultForwardTo ?? null,
        timezone,
        settings: { ...DEFAULT_SITE_SETTINGS, ...input.settings },
      });
      await this.deps.audit.record(this.deps.db, actor, { action: 'site.create', targetType: 'site', targetId: site.id });
      await this.deps.events.emit('site.changed', { accountId: site.accountId, siteId: site.id });
      return site;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`The public key "${input.publicKey}" is taken`);
      throw err;
    }
  }

  async update(actor: Principal, id: string, patch: SitePatch): Promise<Site> {
    if (patch.timezone !== undefined) assertTimezone(patch.timezone);
    assertSettings(patch.settings);
    const site = await this.deps.sites.update(this.deps.db, actor.accountId, id, patch);
    if (!site) throw new NotFoundError(`Site ${id} not found`);
    await this.deps.audit.record(this.deps.db, actor, { action: 'site.update', targetType: 'site', targetId: id });
    await this.deps.events.emit('site.changed', { accountId: site.accountId, siteId: site.id });
    return site;
  }

  async delete(actor: Principal, id: string): Promise<void> {
    if (!(await this.deps.sites.delete(this.deps.db, actor.accountId, id))) throw new NotFoundError(`Site ${id} not found`);
    await this.deps.audit.record(this.deps.db, actor, { action: 'site.delete', targetType: 'site', targetId: id });
    await this.deps.events.emit('site.changed', { accountId: actor.accountId, siteId: id });
  }
}
