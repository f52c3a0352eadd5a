/**
 * The DNI session path's shapes: what a site's cached configuration holds, what a start takes and answers, and the
 * server-side bot test. Apart from the service so the service file is its behaviour only.
 */
import type { Channel } from '../channels/channel-store-type.js';
import type { Pool } from '../number-pools/pool-store-type.js';
import type { Site } from '../sites/site-types.js';
import type { AnalyticsClientIds } from './analytics-client-ids.js';
import type { NumberForms } from './dni-site-config.js';
import type { classifyVisit } from './visit-classifier.js';

/** What the widget path needs about a site, cached in memory and dropped when the site, a channel or a pool changes. */
export interface SiteConfig {
  readonly site: Site;
  readonly channels: readonly Channel[];
  readonly pools: readonly Pool[];
  /** Static pool id → its number (the first active one). */
  readonly staticNumbers: ReadonlyMap<string, string>;
  /** Every number of the site's pools: a tel: click on one of these is recorded. */
  readonly trackingNumbers: ReadonlySet<string>;
  /** The host part of the site's domain patterns (`siteHosts`), for "is the referrer the site itself". */
  readonly hosts: readonly string[];
  /**
   * Recent classifications by page URL and referrer. It lives and dies with this configuration, so a channel change
   * (which reloads it) can never serve a stale channel.
   */
  readonly classified: Map<string, Classified>;
  /** The classification of every visit without a query or a referrer (direct, whatever the page): made once. */
  direct?: Classified;
  /** Origins already checked against the site's domains. */
  readonly origins: Map<string, boolean>;
  /** Display text and digit forms per number, computed once per configuration (libphonenumber is not per request). */
  readonly forms: Map<string, NumberForms>;
}

export const MAX_CLASSIFIED = 5_000;

export interface Classified {
  readonly visit: ReturnType<typeof classifyVisit>;
  readonly channel: Channel | null;
  readonly utmSource: string | null;
  readonly utmMedium: string | null;
}

export interface StartSessionInput {
  readonly siteKey: string;
  readonly origin: string | null;
  readonly sessionId?: string | undefined;
  readonly visitorId?: string | undefined;
  readonly pageUrl?: string | undefined;
  readonly referrer?: string | undefined;
  /** What the page says: false = not granted (store nothing); absent = an older client, the site setting decides. */
  readonly consent?: boolean | undefined;
  readonly device?: Record<string, unknown>;
  readonly clientIds?: AnalyticsClientIds;
  readonly userAgent?: string | undefined;
  /** The client's address, hashed with a salt before anything is stored; used raw only for the rate limit. */
  readonly ip?: string;
}

export interface Swap {
  readonly from: string;
  readonly to: string;
  readonly display: string;
  /** Digits as pages print the numbers: international, national with the trunk prefix, national without. */
  readonly fromForms: readonly string[];
  readonly toForms: readonly string[];
}

export interface SessionAnswer {
  readonly session: string;
  readonly visitor: string;
  readonly channel: { id: string; name: string; kind: string } | null;
  readonly swaps: readonly Swap[];
  readonly expiresAt: string | null;
  readonly heartbeatSeconds: number;
  /** Set when the live lease state was unreachable: session pools answered with their fallback numbers. */
  readonly fallback?: true;
}

/**
 * Automation and crawler user agents (server-side twin of the widget's check): channel-level numbers only.
 * `bot` only as a product token (`…bot/2.1`, `…Bot;`) or a word, so "Cubot KingKong" phones are not taken for crawlers.
 * A request without a user agent is not a browser.
 */
const BOT_UA =
  /googlebot|bingbot|yandex(?:bot|images|metrika|direct)|slurp|duckduckbot|baiduspider|spider|crawler|crawling|bot[/;)]|\bbot\b|facebookexternalhit|headless|phantomjs|lighthouse|pingdom|preview|python-requests|curl\/|wget/i;

export function isBotUserAgent(ua: string | undefined): boolean {
  return !ua || BOT_UA.test(ua);
}
