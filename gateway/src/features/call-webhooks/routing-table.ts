import type { DbOrTrx } from '../../adapters/db/knex.js';
import { t } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/i18n.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import type { SiteSettings } from '../sites/site-types.js';

/**
 * Everything the voice webhook needs to answer, held in memory so a call is routed even with the database down:
 * tracking number → forward-to, site settings (recording, announcement, whisper), blocked callers, and the Twilio
 * logins that sign webhooks. Rebuilt as a whole and swapped atomically on change.
 */

export interface NumberRoute {
  readonly trackingNumberId: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly forwardTo: string | null;
  readonly channelName: string | null;
}

export interface SiteRoute {
  readonly siteId: string;
  readonly accountId: string;
  readonly name: string;
  readonly defaultForwardTo: string | null;
  readonly settings: SiteSettings;
}

export interface TwilioLogin {
  readonly accountId: string;
  readonly authToken: string;
}

export interface RoutingSnapshot {
  readonly numbers: ReadonlyMap<string, NumberRoute>;
  readonly sites: ReadonlyMap<string, SiteRoute>;
  /** The site an unknown number of this account falls back to: the oldest with a default forward-to. */
  readonly fallbackSite: ReadonlyMap<string, string>;
  /** `${siteId} ${e164}` */
  readonly blocked: ReadonlySet<string>;
  readonly twilio: ReadonlyMap<string, TwilioLogin>;
  readonly loadedAt: Date;
}

export type RouteDecision =
  | {
      readonly kind: 'dial';
      readonly accountId: string;
      readonly siteId: string | null;
      readonly forwardTo: string;
      readonly record: boolean;
      readonly announcement: string | null;
      readonly whisper: string | null;
      readonly fallback: boolean;
      /** The site's language: prompts and the whisper are said in it. */
      readonly locale: Locale;
    }
  | { readonly kind: 'reject'; readonly accountId: string; readonly siteId: string }
  | { readonly kind: 'unavailable'; readonly accountId: string | null; readonly siteId: string | null; readonly locale: Locale };

export const EMPTY_SNAPSHOT: RoutingSnapshot = {
  numbers: new Map(),
  sites: new Map(),
  fallbackSite: new Map(),
  blocked: new Set(),
  twilio: new Map(),
  loadedAt: new Date(0),
};

/** Pure: how to answer a call to `to` from `from` arriving on the Twilio login `accountSid`. */
export function decideRoute(s: RoutingSnapshot, call: { accountSid: string; to: string; from: string }): RouteDecision {
  const loginAccount = s.twilio.get(call.accountSid)?.accountId ?? null;
  // A number only routes for the tenant whose Twilio login signed the webhook: one tenant's token must not be able
  // to place calls into another tenant's log.
  const owned = s.numbers.get(call.to);
  const number = owned && (!loginAccount || owned.accountId === loginAccount) ? owned : undefined;
  const accountId = number?.accountId ?? loginAccount;
  if (!accountId) return { kind: 'unavailable', accountId: null, siteId: null, locale: 'en' };
  const siteId = number?.siteId ?? s.fallbackSite.get(accountId) ?? null;
  const site = siteId ? s.sites.get(siteId) : undefined;
  if (site && call.from !== 'anonymous' && s.blocked.has(`${site.siteId} ${call.from}`)) return { kind: 'reject', accountId, siteId: site.siteId };
  const forwardTo = number?.forwardTo ?? site?.defaultForwardTo ?? null;
  if (!forwardTo) return { kind: 'unavailable', accountId, siteId: site?.siteId ?? null, locale: site?.settings.locale ?? 'en' };
  const settings = site?.settings ?? DEFAULT_SITE_SETTINGS;
  const source = number?.channelName ?? (number ? site?.name : null) ?? null;
  return {
    kind: 'dial',
    accountId,
    siteId: site?.siteId ?? null,
    forwardTo,
    record: settings.recordCalls,
    announcement: settings.recordCalls ? settings.recordingAnnouncement : null,
    whisper: settings.whisper && source ? t(settings.locale, 'voice.whisper', { source }) : null,
    fallback: !number?.forwardTo,
    locale: settings.locale,
  };
}

/** Reads the snapshot from SQL (numbers, pools' channels, sites, blocked callers, Twilio logins). */
export async function loadRoutingSnapshot(
  db: DbOrTrx,
  deps: {
    twilioLogins: () => Promise<readonly { accountId: string; accountSid: string; authToken: string }[]>;
    defaultTwilio: { accountSid: string; authToken: string } | null;
    now: Date;
  },
): Promise<RoutingSnapshot> {
  const numberRows = (await db('tracking_numbers as n')
    .leftJoin('pools as p', 'p.id', 'n.pool_id')
    .leftJoin('channels as c', 'c.id', 'p.channel_id')
    .select('n.id', 'n.account_id', 'n.site_id', 'p.site_id as pool_site_id', 'n.e164', 'n.forward_to', 'c.name as channel_name')
    .whereNot('n.status', 'released')) as {
    id: string;
    account_id: string;
    site_id: string | null;
    pool_site_id: string | null;
    e164: string;
    forward_to: string | null;
    channel_name: string | null;
  }[];
  const siteRows = (await db('sites').select('id', 'account_id', 'name', 'default_forward_to', 'settings', 'created_at').orderBy('created_at')) as {
    id: string;
    account_id: string;
    name: string;
    default_forward_to: string | null;
    settings: Partial<SiteSettings>;
  }[];
  const blockedRows = (await db('blocked_callers').select('site_id', 'e164')) as { site_id: string; e164: string }[];
  const numbers = new Map<string, NumberRoute>();
  for (const r of numberRows) {
    numbers.set(r.e164, {
      trackingNumberId: r.id,
      accountId: r.account_id,
      siteId: r.site_id ?? r.pool_site_id,
      forwardTo: r.forward_to,
      channelName: r.channel_name,
    });
  }
  const sites = new Map<string, SiteRoute>();
  const fallbackSite = new Map<string, string>();
  for (const r of siteRows) {
    sites.set(r.id, {
      siteId: r.id,
      accountId: r.account_id,
      name: r.name,
      defaultForwardTo: r.default_forward_to,
      settings: { ...DEFAULT_SITE_SETTINGS, ...r.settings },
    });
    if (r.default_forward_to && !fallbackSite.has(r.account_id)) fallbackSite.set(r.account_id, r.id);
  }
  const twilio = new Map<string, TwilioLogin>();
  let defaultAccountId: string | null = null;
  if (deps.defaultTwilio) {
    const first = (await db('accounts')
      .select('id')
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .first()) as { id: string } | undefined;
    defaultAccountId = first?.id ?? null;
    if (first) twilio.set(deps.defaultTwilio.accountSid, { accountId: first.id, authToken: deps.defaultTwilio.authToken });
  }
  // A stored login of the environment's SID counts only when the default account stored it (a fresher token);
  // one stored by another tenant (before that was refused) never takes the default account's calls.
  for (const l of await deps.twilioLogins()) {
    if (deps.defaultTwilio?.accountSid === l.accountSid && l.accountId !== defaultAccountId) continue;
    twilio.set(l.accountSid, { accountId: l.accountId, authToken: l.authToken });
  }
  return {
    numbers,
    sites,
    fallbackSite,
    blocked: new Set(blockedRows.map((b) => `${b.site_id} ${b.e164}`)),
    twilio,
    loadedAt: deps.now,
  };
}
