import type { Channel } from '../channels/channel-store-type.js';
import type { Pool } from '../number-pools/pool-store-type.js';
import { printedForms } from '../../shared/phone.js';

/** Pure helpers of the session path: number forms, pool choice, the page's URL and origin against the site. */

export interface NumberForms {
  /** Display hint (the widget copies the page's own format when it can): national for NANP numbers, else international. */
  readonly display: string;
  readonly digits: readonly string[];
}

/**
 * libphonenumber per number is costly (25-50 µs here), and a site's configuration is reloaded every 30 s (its cache
 * TTL) with all its pool numbers (2.7 % of the server's busy time in the bench:dni profile with a pool of 2,000): the
 * forms of a number never change, so they are kept across reloads. Bounded; cleared when full.
 */
export class NumberFormsCache {
  private readonly known = new Map<string, NumberForms>();
  private readonly queue: string[] = [];
  private warming: Promise<void> | null = null;

  constructor(private readonly maxEntries: number) {}

  /** Numbers whose forms are known (what the bound keeps small). */
  get size(): number {
    return this.known.size;
  }

  get(e164: string): NumberForms {
    let f = this.known.get(e164);
    if (!f) {
      f = printedForms(e164);
      if (this.known.size >= this.maxEntries) this.known.clear();
      this.known.set(e164, f);
    }
    return f;
  }

  /**
   * Works out the forms of a site's tracking numbers behind the answers, a slice of time per event-loop turn, so that
   * a visitor given a number nobody was given before in this process does not pay libphonenumber on the answer path
   * (a new number per visitor is the usual case while a large pool's numbers are first handed out: 12 % of the
   * server's busy time in the bench:dni new-visitor profile, pool of 25,000). Numbers that would not all fit under
   * the bound are not warmed (they are worked out on demand, as they were): warming them would fill the cache, the
   * next answer's miss would clear it, and the next reload would warm them all again. Resolves when nothing is left
   * to warm (tests wait on it).
   */
  warm(numbers: Iterable<string>): Promise<void> {
    const fresh: string[] = [];
    for (const e164 of numbers) if (!this.known.has(e164)) fresh.push(e164);
    if (this.known.size + this.queue.length + fresh.length <= this.maxEntries) for (const e164 of fresh) this.queue.push(e164);
    this.warming ??= new Promise<void>((resolve) => {
      const step = (): void => {
        const until = performance.now() + WARM_SLICE_MS;
        while (this.queue.length > 0 && performance.now() < until) {
          const e164 = this.queue.pop() as string;
          if (this.known.size >= this.maxEntries) this.queue.length = 0;
          else if (!this.known.has(e164)) this.known.set(e164, printedForms(e164));
        }
        // A timer, not setImmediate: an unref'd immediate waits for some other event to wake the loop, an unref'd
        // timer does not; unref'd so that warming never holds a stopping process open.
        if (this.queue.length > 0) setTimeout(step, 0).unref();
        else {
          this.warming = null;
          resolve();
        }
      };
      setTimeout(step, 0).unref();
    });
    return this.warming;
  }
}

/** Time given to warming per event-loop turn: requests that arrive meanwhile wait at most about this long for it. */
const WARM_SLICE_MS = 1;

/**
 * The process's forms: they depend on the number only, so every site and configuration shares them. 314 bytes of
 * heap and 9.6 µs a number here, so the bound costs at most 36 MiB. At 50,000, bench:dni's new-visitor pool of 100,000
 * was not warmed and the first lease of each number paid libphonenumber on the answer (gateway CPU per new visitor
 * 157-160 µs in two runs, 141-160 with this bound; the ratio to the ceiling 0.21x against 0.25-0.29x).
 */
const knownForms = new NumberFormsCache(120_000);
export const numberForms = (e164: string): NumberForms => knownForms.get(e164);
export const warmForms = (numbers: Iterable<string>): Promise<void> => knownForms.warm(numbers);

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
