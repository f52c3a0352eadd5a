import type { Db } from '../../adapters/db/knex.js';
import { ForbiddenError, NotFoundError } from '../../errors/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { Channel, ChannelStore } from '../channels/channel-store-type.js';
import type { NumberLeaseService } from '../number-pools/number-lease-service.js';
import type { Pool, PoolStore } from '../number-pools/pool-store-type.js';
import type { Site } from '../sites/site-types.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import { matchChannel, visitFacts } from './channel-match.js';
import { displayNumber } from './display-number.js';

/** What the widget path needs about a site, cached in memory and dropped when the site, a channel or a pool changes. */
interface SiteConfig {
  readonly site: Site;
  readonly channels: readonly Channel[];
  readonly pools: readonly Pool[];
  /** Static pool id → its number (the first active one). */
  readonly staticNumbers: ReadonlyMap<string, string>;
}

export interface StartSessionInput {
  readonly siteKey: string;
  readonly origin: string | null;
  readonly sessionId?: string;
  readonly visitorId?: string;
  readonly pageUrl?: string;
  readonly referrer?: string;
}

export interface Swap {
  readonly from: string;
  readonly to: string;
  readonly display: string;
}

export interface SessionAnswer {
  readonly session: string;
  readonly visitor: string;
  readonly channel: { id: string; name: string; kind: string } | null;
  readonly swaps: readonly Swap[];
  readonly expiresAt: string | null;
  readonly heartbeatSeconds: number;
}

const MAX_CACHED_SITES = 10_000;
/**
 * Changes made through this process drop the cache at once (events); the TTL bounds how long another replica
 * keeps serving an old configuration.
 */
const SITE_CACHE_TTL_MS = 30_000;

/** The widget's side of the lease engine: which number each of a site's numbers becomes for this visit. */
export class DniSessionService {
  private readonly cache = new Map<string, { readonly config: Promise<SiteConfig | null>; readonly loadedAt: number }>();

  constructor(
    private readonly deps: {
      db: Db;
      sites: SiteStore;
      channels: ChannelStore;
      pools: PoolStore;
      numbers: TrackingNumberStore;
      leases: NumberLeaseService;
      events: EventBus;
      clock: Clock;
    },
  ) {
    const drop = (): void => this.cache.clear();
    deps.events.on('site.changed', drop);
    deps.events.on('channel.changed', drop);
    deps.events.on('pool.changed', drop);
  }

  private config(siteKey: string): Promise<SiteConfig | null> {
    const now = this.deps.clock.nowMs();
    const hit = this.cache.get(siteKey);
    if (hit && now - hit.loadedAt < SITE_CACHE_TTL_MS) return hit.config;
    if (this.cache.size >= MAX_CACHED_SITES) this.cache.clear();
    const config = this.load(siteKey);
    config.catch(() => this.cache.delete(siteKey));
    this.cache.set(siteKey, { config, loadedAt: now });
    return config;
  }

  private async load(siteKey: string): Promise<SiteConfig | null> {
    const { db } = this.deps;
    const site = await this.deps.sites.getByPublicKey(db, siteKey);
    if (!site) return null;
    const [channels, pools] = await Promise.all([
      this.deps.channels.list(db, site.accountId, { siteId: site.id }),
      this.deps.pools.listBySite(db, site.id),
    ]);
    const staticNumbers = new Map<string, string>();
    for (const pool of pools.filter((p) => p.kind === 'static')) {
      const first = (await this.deps.numbers.listByPool(db, pool.id)).find((n) => n.status === 'active');
      if (first) staticNumbers.set(pool.id, first.e164);
    }
    return { site, channels, pools, staticNumbers };
  }

  /** The site for a widget request, checking the page's origin against the site's domains when the browser sent one. */
  async siteFor(siteKey: string, origin: string | null): Promise<SiteConfig> {
    const cfg = await this.config(siteKey);
    if (!cfg) throw new NotFoundError('Unknown site key');
    if (origin !== null && !originAllowed(origin, cfg.site.domains)) throw new ForbiddenError('This page may not use the site key');
    return cfg;
  }

  async start(input: StartSessionInput): Promise<SessionAnswer> {
    const cfg = await this.siteFor(input.siteKey, input.origin);
    const session = input.sessionId ?? newId();
    const visitor = input.visitorId ?? newId();
    const channel = cfg.channels.length ? matchChannel(cfg.channels, visitFacts(input.pageUrl, input.referrer)) : null;
    const jobs = cfg.site.canonicalNumbers.map(async (canonical) => {
      const pool = pickPool(cfg.pools, canonical, channel);
      if (!pool) return null;
      const fallback = pool.fallbackNumber ?? canonical;
      if (pool.kind === 'static') return { from: canonical, to: cfg.staticNumbers.get(pool.id) ?? fallback, expiresAt: null, hb: null };
      const out = await this.deps.leases.lease(pool, session, visitor);
      return out.kind === 'leased'
        ? { from: canonical, to: out.e164, expiresAt: out.expiresAt, hb: pool.settings.heartbeatSeconds }
        : { from: canonical, to: fallback, expiresAt: null, hb: pool.settings.heartbeatSeconds };
    });
    const results = (await Promise.all(jobs)).filter((r) => r !== null);
    const expiries = results.flatMap((r) => (r.expiresAt === null ? [] : [r.expiresAt]));
    const beats = results.flatMap((r) => (r.hb === null ? [] : [r.hb]));
    return {
      session,
      visitor,
      channel: channel ? { id: channel.id, name: channel.name, kind: channel.kind } : null,
      swaps: results.map((r) => ({ from: r.from, to: r.to, display: displayNumber(r.to) })),
      expiresAt: expiries.length ? new Date(Math.min(...expiries)).toISOString() : null,
      heartbeatSeconds: beats.length ? Math.min(...beats) : 60,
    };
  }

  /** Extends the session's leases in every session pool of the site; false when it holds none any more. */
  async heartbeat(siteKey: string, origin: string | null, sessionId: string): Promise<{ active: boolean; expiresAt: string | null }> {
    const cfg = await this.siteFor(siteKey, origin);
    const pools = cfg.pools.filter((p) => p.kind === 'session');
    const got = (await Promise.all(pools.map((p) => this.deps.leases.heartbeat(p, sessionId)))).filter((x) => x !== null);
    return { active: got.length > 0, expiresAt: got.length ? new Date(Math.min(...got)).toISOString() : null };
  }

  async leave(siteKey: string, origin: string | null, sessionId: string): Promise<void> {
    const cfg = await this.siteFor(siteKey, origin);
    await Promise.all(cfg.pools.filter((p) => p.kind === 'session').map((p) => this.deps.leases.release(p, sessionId, 'left')));
  }
}

/** The channel's own pool for this number when the visit has a channel that has one, else the site-wide session pool. */
function pickPool(pools: readonly Pool[], canonical: string, channel: Channel | null): Pool | null {
  const forNumber = pools.filter((p) => p.canonicalNumber === canonical);
  return (
    (channel && forNumber.find((p) => p.channelId === channel.id)) ||
    forNumber.find((p) => p.channelId === null && p.kind === 'session') ||
    forNumber.find((p) => p.channelId === null) ||
    null
  );
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
