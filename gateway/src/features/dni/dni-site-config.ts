import type { Channel } from '../channels/channel-store-type.js';
import type { Pool } from '../number-pools/pool-store-type.js';
import { digitForms } from '../../shared/phone.js';
import { displayNumber } from './display-number.js';

/** Pure helpers of the session path: number forms, pool choice, the page's URL and origin against the site. */

export interface NumberForms {
  readonly display: string;
  readonly digits: readonly string[];
}

/**
 * libphonenumber per number is costly, and a site's configuration is reloaded every 30 s (its cache TTL) with all its
 * pool numbers (2.7 % of the server's busy time in the bench:dni profile with a pool of 2,000): the forms of a number
 * never change, so they are kept across reloads. Bounded; cleared when full.
 */
const MAX_KNOWN_FORMS = 50_000;
const knownForms = new Map<string, NumberForms>();
export function numberForms(e164: string): NumberForms {
  let f = knownForms.get(e164);
  if (!f) {
    f = { display: displayNumber(e164), digits: digitForms(e164) };
    if (knownForms.size >= MAX_KNOWN_FORMS) knownForms.clear();
    knownForms.set(e164, f);
  }
  return f;
}

/** A number outside the configuration (a pool's fallback) is computed once and kept with it. */
export function formsOf(cfg: { readonly forms: Map<string, NumberForms> }, e164: string): NumberForms {
  let f = cfg.forms.get(e164);
  if (!f) {
    f = numberForms(e164);
    cfg.forms.set(e164, f);
  }
  return f;
}

/** The channel's own pool for this number when the visit has a channel that has one, else the site-wide session pool. */
export function pickPool(pools: readonly Pool[], canonical: string, channel: Channel | null): Pool | null {
  const forNumber = pools.filter((p) => p.canonicalNumber === canonical);
  return (
    (channel && forNumber.find((p) => p.channelId === channel.id)) ||
    forNumber.find((p) => p.channelId === null && p.kind === 'session') ||
    forNumber.find((p) => p.channelId === null) ||
    null
  );
}

/** The host part of the site's domain patterns, for "is the referrer the site itself". */
export function siteHosts(domains: readonly string[]): string[] {
  return domains.map((d) => d.toLowerCase().split(':')[0]!.replace(/^\*\./, ''));
}

export function safeParams(url: string | undefined): URLSearchParams {
  try {
    return url ? new URL(url).searchParams : new URLSearchParams();
  } catch {
    return new URLSearchParams();
  }
}

/** Site domains: "example.com", "*.example.com" (subdomains only), "localhost:*" (any port), "host:8080". */
export function originAllowed(origin: string, domains: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase();
  const port = u.port;
  return domains.some((d) => {
    const [h = '', p] = d.toLowerCase().split(':');
    if (p !== undefined && p !== '*' && p !== port) return false;
    if (p === undefined && port !== '') return false;
    return h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h;
  });
}
