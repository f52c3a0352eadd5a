import type { Knex } from 'knex';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { originAllowed } from '../dni/dni-session-service.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { Site } from '../sites/site-types.js';
import type { InquiryService, RecordResult } from './inquiry-service.js';
import { DEFAULT_INQUIRY_SETTINGS, mergeSettings } from './inquiry-settings.js';
import type { InquirySettings, PgInquirySettingsStore } from './inquiry-settings.js';
import { claimSignature, newSigningSecret, verifyInquirySignature } from './inquiry-signature.js';
import type { Inquiry, InquirySubmission } from './inquiry-types.js';

export interface SubmitBody {
  kind?: 'form' | 'callback';
  site?: string;
  sessionId?: string;
  externalId?: string;
  phone?: string;
  email?: string;
  name?: string;
  subject?: string;
  message?: string;
  fields?: Record<string, string>;
  pageUrl?: string;
  honeypot?: string;
  secondsOnPage?: number;
}

/** What happens to a callback request once stored (placed now, or queued for the next opening). */
export interface CallbackScheduler {
  requested(site: Site, settings: InquirySettings, inquiry: Inquiry): Promise<{ status: Inquiry['status']; dueAt: Date | null; message: string }>;
}

export type SubmitOutcome =
  | { readonly status: 'ignored' }
  | {
      readonly status: 'received' | 'duplicate' | Inquiry['status'];
      readonly inquiry: Inquiry;
      readonly dueAt: Date | null;
      readonly message?: string;
    };

const SECRET_AD = (siteId: string) => `inquiry-signing:${siteId}`;

/**
 * The edges of inquiry intake: finds the site, proves the request (a signed backend request, or the widget from one of
 * the site's domains), and hands the submission to the inquiry service; also the per-site settings admins edit.
 */
/** The alias a visit is shown instead of the site's address (email tracking); null when it has none. */
export type EmailAliasResolver = (site: Site, settings: InquirySettings, sessionId: string | null) => Promise<string | null>;

export class InquiryIntake {
  callbacks: CallbackScheduler | null = null;
  emailAlias: EmailAliasResolver | null = null;

  constructor(
    private readonly deps: {
      db: Knex;
      sites: SiteStore;
      settings: PgInquirySettingsStore;
      service: InquiryService;
      audit: AuditLog;
      box: SecretBox;
      clock: Clock;
    },
  ) {}

  /** A site by id, or by its public key (what the widget knows). */
  async site(idOrKey: string): Promise<Site> {
    const row = (await this.deps.db('sites').where({ id: idOrKey }).orWhere({ public_key: idOrKey }).first('public_key')) as
      | { public_key: string }
      | undefined;
    const site = row ? await this.deps.sites.getByPublicKey(this.deps.db, row.public_key) : null;
    if (!site) throw new NotFoundError(`Site ${idOrKey} not found`);
    return site;
  }

  async settingsOf(site: Site): Promise<InquirySettings> {
    return (await this.deps.settings.get(this.deps.db, site.id))?.settings ?? DEFAULT_INQUIRY_SETTINGS;
  }

  /** A site's backend: X-DNI-Signature over the timestamp and the exact body; each signature is good once. */
  async submitSigned(siteId: string, h: { siteKey?: string; timestamp?: string; signature?: string }, rawBody: string, body: SubmitBody) {
    const site = await this.site(siteId);
    if (h.siteKey !== undefined && h.siteKey !== site.publicKey) throw new UnauthorizedError('X-DNI-Site-Key is not this site’s key');
    const stored = await this.deps.settings.get(this.deps.db, site.id);
    if (!stored) throw new UnauthorizedError('This site has no signing secret yet: set its inquiry settings first');
    const secret = this.deps.box.open(stored.sealedSecret, SECRET_AD(site.id));
    const now = this.deps.clock.now();
    verifyInquirySignature(secret, { timestamp: h.timestamp, signature: h.signature, rawBody }, Math.floor(now.getTime() / 1000));
    if (!(await claimSignature(this.deps.db, h.signature!, now))) throw new UnauthorizedError('This signed request was already received (replay)');
    return this.submit(site, stored.settings, 'server', body);
  }

  /** The widget: the page's origin must be one of the site's domains, and the site must have forms or callbacks on. */
  async submitFromWidget(siteKey: string, origin: string | null, body: SubmitBody): Promise<SubmitOutcome> {
    const site = await this.site(siteKey);
    if (origin && !originAllowed(origin, site.domains)) throw new ForbiddenError('This page is not on one of the site’s domains');
    const settings = await this.settingsOf(site);
    const kind = body.kind ?? 'form';
    if (kind === 'form' ? !settings.forms.enabled : !settings.callback.enabled) throw new ForbiddenError(`${kind} inquiries are off on this site`);
    return this.submit(site, settings, 'widget', body);
  }

  /** What the optional widget module needs: which forms to report, and the email address to show this visit. */
  async widgetConfig(siteKey: string, origin: string | null, sessionId: string | null) {
    const site = await this.site(siteKey);
    if (origin && !originAllowed(origin, site.domains)) throw new ForbiddenError('This page is not on one of the site’s domains');
    const s = await this.settingsOf(site);
    const alias = s.email.enabled && s.email.canonical && this.emailAlias ? await this.emailAlias(site, s, sessionId) : null;
    return {
      forms: s.forms.enabled ? { enabled: true, selectors: [...s.forms.selectors], honeypotField: s.forms.honeypotField } : null,
      callback: s.callback.enabled ? { enabled: true } : null,
      email: alias && s.email.canonical ? { canonical: s.email.canonical, alias } : null,
    };
  }

  private async submit(site: Site, settings: InquirySettings, origin: 'widget' | 'server', b: SubmitBody): Promise<SubmitOutcome> {
    const sub: InquirySubmission = {
      kind: b.kind ?? 'form',
      origin,
      externalKey: b.externalId ?? null,
      phone: b.phone,
      email: b.email,
      name: b.name,
      subject: b.subject,
      message: b.message,
      fields: b.fields,
      pageUrl: b.pageUrl,
      sessionId: b.sessionId,
    };
    const r: RecordResult = await this.deps.service.record(site, settings, sub, { honeypot: b.honeypot, secondsOnPage: b.secondsOnPage });
    if (r.outcome === 'ignored') return { status: 'ignored' };
    if (!r.created) return { status: 'duplicate', inquiry: r.inquiry, dueAt: r.inquiry.dueAt };
    if (r.inquiry.kind === 'callback' && this.callbacks) {
      const c = await this.callbacks.requested(site, settings, r.inquiry);
      return { status: c.status, inquiry: r.inquiry, dueAt: c.dueAt, message: c.message };
    }
    return { status: 'received', inquiry: r.inquiry, dueAt: null };
  }

  async getSettings(actor: Principal, siteId: string): Promise<{ settings: InquirySettings; signingSecret: string }> {
    const site = await this.ownSite(actor, siteId);
    const stored = await this.deps.settings.get(this.deps.db, site.id);
    if (stored) return { settings: stored.settings, signingSecret: this.deps.box.open(stored.sealedSecret, SECRET_AD(site.id)) };
    return this.putSettings(actor, siteId, {});
  }

  async putSettings(
    actor: Principal,
    siteId: string,
    patch: Parameters<typeof mergeSettings>[1] & { rotateSecret?: boolean },
  ): Promise<{ settings: InquirySettings; signingSecret: string }> {
    const site = await this.ownSite(actor, siteId);
    const { rotateSecret, ...rest } = patch ?? {};
    const stored = await this.deps.settings.get(this.deps.db, site.id);
    const settings = mergeSettings(stored?.settings ?? DEFAULT_INQUIRY_SETTINGS, rest);
    const secret = stored && !rotateSecret ? this.deps.box.open(stored.sealedSecret, SECRET_AD(site.id)) : newSigningSecret();
    await this.deps.settings.put(this.deps.db, {
      siteId: site.id,
      accountId: site.accountId,
      settings,
      sealedSecret: this.deps.box.seal(secret, SECRET_AD(site.id)),
    });
    await this.deps.audit.record(this.deps.db, actor, { action: 'site.inquiry_settings', targetType: 'site', targetId: site.id });
    return { settings, signingSecret: secret };
  }

  private async ownSite(actor: Principal, siteId: string): Promise<Site> {
    const site = await this.deps.sites.get(this.deps.db, actor.accountId, siteId);
    if (!site) throw new NotFoundError(`Site ${siteId} not found`);
    return site;
  }
}
