// Classifies a web visit into source / medium / kind from its landing URL and referrer, and picks the site's channel.
// Pure: no I/O, no clock. The caller keeps first-touch (or last non-direct) per visitor; this module sees one visit.
// Order: click ids, then explicit UTM, then `_openstat`, then the referrer host (own domains ignored), then direct.
import lists from './referrer-lists.json' with { type: 'json' };

/** Advertising click ids read from the landing URL. */
export const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'yclid', 'msclkid', 'fbclid', 'ttclid'] as const;
export type ClickIdName = (typeof CLICK_IDS)[number];

export const VISIT_KINDS = [
  'paid_search',
  'paid_social',
  'paid_other',
  'display',
  'organic_search',
  'social',
  'email',
  'referral',
  'direct',
  'other',
] as const;
export type VisitKind = (typeof VISIT_KINDS)[number];

export interface VisitInput {
  /** The landing page URL, with its query string. */
  pageUrl: string;
  /** `document.referrer`; empty or absent for direct visits. */
  referrer?: string | null | undefined;
  /** The site's own domains; a referrer on one of them (or a subdomain) is ignored. */
  siteDomains: readonly string[];
  /** The landing URL's query (`queryOf(pageUrl)`) when the caller has it already. */
  params?: URLSearchParams;
}

export interface VisitClassification {
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  content: string | null;
  /** Click ids present on the landing URL (fbclid too, though it does not make a visit paid). */
  clickIds: Partial<Record<ClickIdName, string>>;
  /** Referrer host without `www.`; null without a referrer or when the referrer is the site itself. */
  referrerHost: string | null;
  kind: VisitKind;
}

/**
 * Click ids that identify a paid click, in precedence order. fbclid is left out on purpose: Meta adds it to organic
 * outbound links too. dclid (Display & Video 360) is a display click.
 */
export const PAID_CLICKS: ReadonlyArray<[ClickIdName, string, string, VisitKind]> = [
  ['gclid', 'google', 'cpc', 'paid_search'],
  ['gbraid', 'google', 'cpc', 'paid_search'],
  ['wbraid', 'google', 'cpc', 'paid_search'],
  ['yclid', 'yandex', 'cpc', 'paid_search'],
  ['msclkid', 'bing', 'cpc', 'paid_search'],
  ['dclid', 'google', 'display', 'display'],
  ['ttclid', 'tiktok', 'cpc', 'paid_social'],
];

const SEARCH: Record<string, string> = lists.search;
const SOCIAL: Record<string, string> = lists.social;
const patterns = (map: Record<string, string>): Array<[RegExp, string]> =>
  Object.entries(map)
    .filter(([host]) => host.includes('{}'))
    .map(([host, name]) => [new RegExp(`^${host.replace(/\./g, '\\.').replace(/\{\}/g, '[a-z0-9-]+(?:\\.[a-z0-9-]+)?')}$`), name]);
const SEARCH_PATTERNS = patterns(SEARCH);
const SOCIAL_PATTERNS = patterns(SOCIAL);
/** Lower-case engine and network names plus the first label of two-label hosts ("google", "yandex", "vk"), for UTM sources. */
const SEARCH_NAMES = names(SEARCH);
const SOCIAL_NAMES = names(SOCIAL);

function names(map: Record<string, string>): Set<string> {
  const set = new Set<string>();
  for (const [host, name] of Object.entries(map)) {
    set.add(name.toLowerCase());
    const labels = host.split('.');
    if (labels.length === 2 && labels[0] !== '{}') set.add(labels[0] as string);
  }
  return set;
}

const parseUrl = (raw: string | null | undefined): URL | null => {
  try {
    return raw ? new URL(raw) : null;
  } catch {
    return null;
  }
};

/**
 * The query of a URL; an unparsable URL has none. Without a "?" there is none either, and the URL is not parsed: page
 * two of a visit and most reloads, whose URL parse was most of the classification's cost.
 */
export function queryOf(url: string | null | undefined): URLSearchParams {
  return url?.includes('?') ? (parseUrl(url)?.searchParams ?? new URLSearchParams()) : new URLSearchParams();
}

/** Classifies one visit. Never throws: an unparsable URL counts as a URL without parameters. */
export function classifyVisit(input: VisitInput): VisitClassification {
  const params = input.params ?? queryOf(input.pageUrl);
  const get = (name: string): string | null => params.get(name)?.trim() || null;
  const clickIds: Partial<Record<ClickIdName, string>> = {};
  for (const id of CLICK_IDS) {
    const v = get(id);
    if (v) clickIds[id] = v;
  }
  const ref = parseUrl(input.referrer);
  const refHost = ref && /^https?:$/.test(ref.protocol) ? ref.hostname.toLowerCase().replace(/^www\./, '') : null;
  const own = refHost !== null && input.siteDomains.some((d) => isSameOrSubdomain(refHost, d.toLowerCase().replace(/^www\./, '')));
  const referrerHost = own ? null : refHost;
  const utm = { campaign: get('utm_campaign'), term: get('utm_term'), content: get('utm_content') };
  const base = { ...utm, clickIds, referrerHost };

  const paid = PAID_CLICKS.find(([id]) => clickIds[id]);
  if (paid) return { ...base, source: paid[1], medium: paid[2], kind: paid[3] };

  const utmSource = get('utm_source');
  const utmMedium = get('utm_medium');
  if (utmSource || utmMedium) {
    const source = (utmSource ?? '(not set)').toLowerCase();
    const medium = (utmMedium ?? '(not set)').toLowerCase();
    return { ...base, source, medium, kind: kindOfMedium(source, medium) };
  }

  const openstat = decodeOpenstat(get('_openstat'));
  if (openstat) {
    const source = openstat.service.toLowerCase();
    const kind: VisitKind = /yandex|google|bing/.test(source) ? 'paid_search' : 'paid_other';
    return { ...base, source, medium: 'cpc', campaign: utm.campaign ?? openstat.campaign, content: utm.content ?? openstat.ad, kind };
  }

  if (referrerHost) {
    // Social first: facebook.com is in both lists, and its traffic is social.
    const network = lookup(referrerHost, SOCIAL, SOCIAL_PATTERNS);
    if (network) return { ...base, source: network.toLowerCase(), medium: 'social', kind: 'social' };
    const engine = lookup(referrerHost, SEARCH, SEARCH_PATTERNS);
    if (engine) return { ...base, source: engine.toLowerCase(), medium: 'organic', term: utm.term ?? searchTerm(ref as URL), kind: 'organic_search' };
    return { ...base, source: referrerHost, medium: 'referral', kind: 'referral' };
  }
  return { ...base, source: '(direct)', medium: '(none)', kind: 'direct' };
}

function isSameOrSubdomain(host: string, domain: string): boolean {
  return domain !== '' && (host === domain || host.endsWith(`.${domain}`));
}

/** Exact host, then its parent domains (`l.facebook.com` → `facebook.com`), then the `{}` country patterns. */
function lookup(host: string, map: Record<string, string>, pats: ReadonlyArray<[RegExp, string]>): string | null {
  for (let h = host; h.includes('.'); h = h.slice(h.indexOf('.') + 1)) {
    const name = map[h];
    if (name) return name;
  }
  return pats.find(([re]) => re.test(host))?.[1] ?? null;
}

/** The keyword when the engine still shows it (most hide it now). */
function searchTerm(ref: URL): string | null {
  for (const p of ['q', 'text', 'query', 'p', 'wd']) {
    const v = ref.searchParams.get(p)?.trim();
    if (v) return v;
  }
  return null;
}

/** GA4-style grouping of an explicit utm_medium (case-insensitive). */
function kindOfMedium(source: string, medium: string): VisitKind {
  if (/^(.*cp.*|ppc|retargeting|paid.*)$/.test(medium)) {
    if (SOCIAL_NAMES.has(source)) return 'paid_social';
    if (SEARCH_NAMES.has(source)) return 'paid_search';
    return 'paid_other';
  }
  if (/^(display|banner|expandable|interstitial|cpm)$/.test(medium)) return 'display';
  if (medium === 'organic') return 'organic_search';
  if (/^(social|social-network|social-media|sm|social network|social media)$/.test(medium) || SOCIAL_NAMES.has(source)) return 'social';
  if (/^(email|e-mail|e_mail|e mail|newsletter)$/.test(medium)) return 'email';
  if (/^(referral|app|link)$/.test(medium)) return 'referral';
  if (medium === '(none)' && source === '(direct)') return 'direct';
  return 'other';
}

/**
 * `_openstat` (Yandex Direct's ad marker): `service;campaign;ad;source`, base64 (standard or URL-safe) or plain.
 * Returns null when the value is absent or does not have that shape.
 */
export function decodeOpenstat(value: string | null | undefined): { service: string; campaign: string; ad: string; source: string } | null {
  if (!value) return null;
  let text = value;
  if (!text.includes(';')) {
    try {
      text = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    } catch {
      return null;
    }
  }
  const [service, campaign = '', ad = '', source = ''] = text.split(';');
  return service && text.includes(';') ? { service, campaign, ad, source } : null;
}

/** A channel's matching rule: every key must match (case-insensitive, `*` as a wildcard). An empty rule matches all. */
export type ChannelRule = Partial<Record<ChannelRuleKey, string>>;

/** Every key a rule may use; the API schema is built from this list, so they cannot drift apart. */
export const CHANNEL_RULE_KEYS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'source',
  'medium',
  'click_id',
  'kind',
  'referrer_host',
] as const;
export type ChannelRuleKey = (typeof CHANNEL_RULE_KEYS)[number];

export interface ChannelCandidate {
  id: string;
  priority: number;
  rules: readonly ChannelRule[];
}

/**
 * The matching channel with the highest priority (first listed wins a tie), or null. A channel matches when any of its
 * rules does. `utm_*` keys compare against the classified values, so `{utm_source:'google', utm_medium:'cpc'}` also
 * matches a gclid visit; `click_id` names a click id present on the URL; `referrer_host` is a host glob (`*.example.com`) matched against the
 * referrer host and its parent domains.
 */
export function matchChannel<C extends ChannelCandidate>(visit: VisitClassification, channels: readonly C[]): C | null {
  let best: C | null = null;
  for (const channel of channels) {
    if ((best === null || channel.priority > best.priority) && channel.rules.some((rule) => ruleMatches(visit, rule))) best = channel;
  }
  return best;
}

function ruleMatches(visit: VisitClassification, rule: ChannelRule): boolean {
  const values: Record<keyof ChannelRule, string[]> = {
    utm_source: [visit.source],
    source: [visit.source],
    utm_medium: [visit.medium],
    medium: [visit.medium],
    utm_campaign: [visit.campaign ?? ''],
    utm_term: [visit.term ?? ''],
    utm_content: [visit.content ?? ''],
    click_id: Object.keys(visit.clickIds),
    kind: [visit.kind],
    // The host and its parent domains, so `google.com` also matches `news.google.com` (as channels document it).
    referrer_host: parentDomains(visit.referrerHost ?? ''),
  };
  return Object.entries(rule).every(([key, pattern]) => {
    const candidates = values[key as keyof ChannelRule];
    if (!candidates || typeof pattern !== 'string') return false;
    const re = globToRegExp(pattern);
    return candidates.some((v) => v !== '' && re.test(v));
  });
}

function parentDomains(host: string): string[] {
  const out: string[] = [];
  for (let h = host; h.includes('.'); h = h.slice(h.indexOf('.') + 1)) out.push(h);
  return out.length ? out : [host];
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
}
