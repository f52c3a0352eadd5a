import type { Channel, ChannelRule } from '../channels/channel-store-type.js';

/** What the widget tells us about a visit, as far as channel matching needs it. */
export interface VisitFacts {
  /** The landing page URL's query parameters. */
  readonly params: URLSearchParams;
  /** The referrer's host name, lower case; null when there is none or it is the site itself. */
  readonly referrerHost: string | null;
}

export function visitFacts(pageUrl: string | undefined, referrer: string | undefined): VisitFacts {
  let params = new URLSearchParams();
  let pageHost: string | null = null;
  try {
    if (pageUrl) {
      const u = new URL(pageUrl);
      params = u.searchParams;
      pageHost = u.hostname.toLowerCase();
    }
  } catch {
    /* a malformed page URL matches no parameter rule */
  }
  let referrerHost: string | null = null;
  try {
    if (referrer) referrerHost = new URL(referrer).hostname.toLowerCase();
  } catch {
    /* ignored */
  }
  return { params, referrerHost: referrerHost && referrerHost !== pageHost ? referrerHost : null };
}

const eq = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

function ruleMatches(rule: ChannelRule, v: VisitFacts): boolean {
  if (rule.utm_source !== undefined && !eq(v.params.get('utm_source'), rule.utm_source)) return false;
  if (rule.utm_medium !== undefined && !eq(v.params.get('utm_medium'), rule.utm_medium)) return false;
  if (rule.utm_campaign !== undefined && !eq(v.params.get('utm_campaign'), rule.utm_campaign)) return false;
  if (rule.click_id !== undefined && !v.params.get(rule.click_id)) return false;
  if (rule.referrer_host !== undefined) {
    const h = v.referrerHost;
    if (!h || (h !== rule.referrer_host && !h.endsWith(`.${rule.referrer_host}`))) return false;
  }
  return true;
}

/**
 * The channel of a visit: the highest-priority channel with a matching rule, or null. Kept as one small function so
 * a fuller classifier (click ids, UTM, referrer lists) can replace it.
 */
export function matchChannel(channels: readonly Channel[], visit: VisitFacts): Channel | null {
  let best: Channel | null = null;
  for (const c of channels) {
    if (c.rules.length === 0 || !c.rules.some((r) => ruleMatches(r, visit))) continue;
    if (!best || c.priority > best.priority) best = c;
  }
  return best;
}
