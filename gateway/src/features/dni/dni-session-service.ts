import { SessionIds } from './session-ids.js';
import type { Db } from '../../adapters/db/knex.js';
import { ForbiddenError, GoneError, NotFoundError, TooManyRequestsError } from '../../errors/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { ChannelStore } from '../channels/channel-store-type.js';
import type { NumberLeaseService } from '../number-pools/number-lease-service.js';
import type { Pool, PoolStore } from '../number-pools/pool-store-type.js';
import type { Site } from '../sites/site-types.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import { formsOf, numberForms, originAllowed, pickPool, siteHosts, warmForms } from './dni-site-config.js';
import type { NumberForms } from './dni-site-config.js';
import { classifyVisit, matchChannel, queryOf } from './visit-classifier.js';
import { RefreshingCache } from '../../shared/refreshing-cache.js';
import { IpHasher } from './ip-hasher.js';
import type { VisitRecorder } from './visit-recorder.js';
import { LeaseStoreUnavailableError } from '../number-pools/fail-soft-lease-store.js';
import { HoldLimits, sessionTooOld } from './hold-limits.js';
import type { HoldCaps, HoldCounter } from './hold-limits.js';
import { MAX_CLASSIFIED, isBotUserAgent } from './dni-session-types.js';
import type { Classified, SessionAnswer, SiteConfig, StartSessionInput } from './dni-session-types.js';

export { isBotUserAgent };
export type { SessionAnswer, StartSessionInput, Swap } from './dni-session-types.js';

/** The live lease state was unreachable (Redis outage): the caller answers without it, never with an error. */
const unavailable = (err: unknown): true => {
  if (err instanceof LeaseStoreUnavailableError) return true;
  throw err;
};

/**
 * A hold that could not be counted (the counter's Redis is away) is not held against anyone: the lease itself then
 * answers from its own fail-soft path, and holds counted before lapse at their end.
 */
const noCount = (): null => null;

const MAX_CACHED_SITES = 10_000;
// A miss only costs one SQL read on a rare path (a heartbeat that finds no lease); memory stays flat whatever the
// number of sessions served (bench:dni-memory: 100,000 here was ~35 MiB of RSS that never came back).
const MAX_RECENT_SESSIONS = 10_000;

interface SessionFacts {
  readonly siteId: string;
  readonly visitorId: string;
  readonly channelId: string | null;
  readonly leased: boolean;
}
/** The heartbeat interval answered when nothing was leased (nothing to keep alive; the widget checks in hourly). */
const IDLE_HEARTBEAT_SECONDS = 3600;
/** Session ids minted for visits that may not be stored (no consent): heartbeats and clicks on them store nothing. */
const UNSTORED_PREFIX = 'n_';

export { originAllowed };

/**
 * Changes drop the cache at once: those made here through events, another replica's through the Redis fan-out. The TTL
 * bounds staleness when a broadcast is lost (Redis down at that moment).
 */
const SITE_CACHE_TTL_MS = 30_000;

/** The widget's side of the lease engine: which number each of a site's numbers becomes for this visit. */
export class DniSessionService {
  private readonly cache: RefreshingCache<SiteConfig | null>;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /**
   * Sessions started through this process (most recent MAX_RECENT_SESSIONS): what a heartbeat that finds no lease
   * needs, without reading SQL on the usual single-replica path. Another replica's sessions are read from SQL.
   */
  private readonly recent = new Map<string, SessionFacts>();
  private readonly ipHasher: IpHasher;
  private readonly sessionIds: SessionIds;
  private readonly limits: HoldCounter;

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
      recorder: VisitRecorder;
      /** Secret for the IP hash salt (the gateway's encryption key; only a derived value is used). */
      secret: Buffer;
      /** Session starts allowed per client IP per minute (token bucket, in this process's memory). */
      sessionsPerMinute: number;
      /** Numbers of one pool a client address may hold at once where the site sets none (0: no limit). */
      maxNumbersPerAddress?: number;
      /** Where holds are counted: Redis in server mode (caps across replicas), else this process. */
      holds?: HoldCounter;
    },
  ) {
    this.ipHasher = new IpHasher(deps.secret);
    this.cache = new RefreshingCache({ ttlMs: SITE_CACHE_TTL_MS, maxEntries: MAX_CACHED_SITES, now: () => deps.clock.nowMs() });
    this.sessionIds = new SessionIds(deps.secret);
    this.limits = deps.holds ?? new HoldLimits();
    const drop = (): void => this.forgetSites();
    deps.events.on('site.changed', drop);
    deps.events.on('channel.changed', drop);
    deps.events.on('pool.changed', drop);
  }

  /**
   * True for an id this gateway minted. A session in `recent` was minted or checked when it was stored there, so its
   * pages and heartbeats skip the HMAC (with its buffers, ~2 % of the busy time of page two in the bench:dni profile).
   */
  private minted(id: string, prefix = ''): boolean {
    return this.recent.has(id) || this.sessionIds.isMinted(id, prefix);
  }

  /** A pool's caps: per visitor from the pool, per address from the site (else the gateway's default). */
  private caps(site: Site, pool: Pool): HoldCaps {
    return { perVisitor: pool.settings.maxNumbersPerVisitor, perAddress: site.settings.maxNumbersPerAddress ?? this.deps.maxNumbersPerAddress ?? 0 };
  }

  /** Sites, channels or pools changed (here, or on another replica): the next request loads them again. */
  forgetSites(): void {
    this.cache.clear();
  }

  /**
   * Past its TTL (another replica may have changed it) a site is answered from the cached copy while a fresh one
   * loads, so a busy database (the embedded one, mid write-behind) never holds every visit of the site at once.
   */
  private config(siteKey: string): Promise<SiteConfig | null> {
    return this.cache.get(siteKey, () => this.load(siteKey));
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
    const trackingNumbers = new Set<string>();
    for (const pool of pools) {
      const numbers = await this.deps.numbers.listFormsByPool(db, pool.id);
      for (const n of numbers) trackingNumbers.add(n.e164);
      const first = numbers.find((n) => n.status === 'active');
      if (first && pool.kind === 'static') staticNumbers.set(pool.id, first.e164);
    }
    // Computing the forms of every tracking number here took 12 s of libphonenumber for a pool of 50,000: they are
    // worked out behind the answers instead (once per process, kept across reloads), and by the first answer that
    // needs one before that (`formsOf`).
    void warmForms(trackingNumbers);
    const forms = new Map<string, NumberForms>();
    for (const e164 of [...site.canonicalNumbers, ...pools.flatMap((p) => (p.canonicalNumber ? [p.canonicalNumber] : []))]) {
      forms.set(e164, numberForms(e164));
    }
    const hosts = siteHosts(site.domains);
    return { site, channels, pools, staticNumbers, trackingNumbers, hosts, classified: new Map(), origins: new Map(), forms };
  }

  /** The site for a widget request, checking the page's origin against the site's domains when the browser sent one. */
  async siteFor(siteKey: string, origin: string | null): Promise<SiteConfig> {
    const cfg = await this.config(siteKey);
    if (!cfg) throw new NotFoundError('Unknown site key');
    if (origin !== null) {
      let allowed = cfg.origins.get(origin);
      if (allowed === undefined) {
        allowed = originAllowed(origin, cfg.site.domains);
        if (cfg.origins.size < MAX_CLASSIFIED) cfg.origins.set(origin, allowed);
      }
      if (!allowed) throw new ForbiddenError('This page may not use the site key');
    }
    return cfg;
  }

  /**
   * The same page and referrer classify the same way: reloads and popular landing pages skip the URL parsing. A page
   * without a query or a referrer (page two of most visits, each page a new URL) has no parsing to skip: it is
   * classified directly, so it neither pays the key and its eviction nor keeps a short-lived entry alive in the map
   * (~4 % of the page-two busy time in the bench:dni profile, where every URL was new).
   */
  private classify(cfg: SiteConfig, pageUrl: string, referrer: string | null): Classified {
    if (!referrer && !pageUrl.includes('?')) {
      cfg.direct ??= this.classifyNow(cfg, pageUrl, null);
      return cfg.direct;
    }
    const key = `${pageUrl}\n${referrer ?? ''}`;
    let hit = cfg.classified.get(key);
    if (!hit) {
      hit = this.classifyNow(cfg, pageUrl, referrer);
      if (cfg.classified.size >= MAX_CLASSIFIED) cfg.classified.delete(cfg.classified.keys().next().value as string);
      cfg.classified.set(key, hit);
    }
    return hit;
  }

  private classifyNow(cfg: SiteConfig, pageUrl: string, referrer: string | null): Classified {
    // One parse of the URL for the classification and the raw UTM values.
    const params = queryOf(pageUrl);
    const visit = classifyVisit({ pageUrl, referrer, siteDomains: cfg.hosts, params });
    return { visit, channel: matchChannel(visit, cfg.channels), utmSource: params.get('utm_source'), utmMedium: params.get('utm_medium') };
  }

  async start(input: StartSessionInput): Promise<SessionAnswer> {
    return this.startFor(await this.siteFor(input.siteKey, input.origin), input);
  }

  /** `start` for a site already looked up with `siteFor` (its origin checked): the controller's one lookup. */
  async startFor(cfg: SiteConfig, input: StartSessionInput): Promise<SessionAnswer> {
    if (input.ip !== undefined) this.takeToken(input.ip);
    const { site } = cfg;
    const store = site.settings.consent === 'required' ? input.consent === true : input.consent !== false;
    const isBot = isBotUserAgent(input.userAgent);
    // Ids handed out before consent (n_…) are not carried into a stored visit: the page may still hold them.
    const known = (id: string | undefined): string | undefined => (id?.startsWith(UNSTORED_PREFIX) ? undefined : id);
    // A session id resumes only when this gateway minted it (a made-up one starts a new session).
    const resumed = known(input.sessionId);
    const nowMs = this.deps.clock.nowMs();
    // A session past a pool's age limit is not renewed by a reload either: the page gets a new one (within the caps).
    const tooOld = (id: string): boolean => cfg.pools.some((p) => p.kind === 'session' && sessionTooOld(p, id, nowMs));
    const session = store
      ? resumed && this.minted(resumed) && !tooOld(resumed)
        ? resumed
        : this.sessionIds.mint()
      : UNSTORED_PREFIX + this.sessionIds.mint();
    const visitor = store ? (known(input.visitorId) ?? newId()) : UNSTORED_PREFIX + newId();
    const classified = this.classify(cfg, input.pageUrl ?? '', input.referrer ?? null);
    const { visit, channel } = classified;
    // Bots and visits that may not be stored get channel-level numbers only: never a pool lease.
    const pooled = store && !isBot;
    // Ids minted just now name nothing in the lease store: it may skip looking them up (once per pool: a second
    // lease of the same session in the same pool must find the first).
    const minted = { session: session !== resumed, visitor: known(input.visitorId) === undefined };
    const mintedFor = new Set<string>();
    let fellBack = false;
    const jobs = site.canonicalNumbers.map(async (canonical) => {
      const pool = pickPool(cfg.pools, canonical, channel);
      if (!pool) return null;
      const fresh = minted.session && !mintedFor.has(pool.id);
      mintedFor.add(pool.id);
      const fallback = pool.fallbackNumber ?? canonical;
      if (pool.kind === 'static') return { from: canonical, to: cfg.staticNumbers.get(pool.id) ?? fallback, expiresAt: null, hb: null };
      if (!pooled) return null;
      // One visitor or address over the pool's caps gets the fallback: the numbers stay for other people. The hold
      // is counted with the lease (atomically with the check, across replicas) and uncounted if none comes.
      const caps = this.caps(site, pool);
      let out: Awaited<ReturnType<NumberLeaseService['lease']>> | true;
      if (this.deps.leases.countsHolds) {
        // The store checks and counts the caps in the lease itself: one round trip per pool.
        const holds = input.ip === undefined ? caps : { ...caps, address: input.ip };
        out = await this.deps.leases.lease(pool, session, visitor, holds, fresh ? minted : undefined).catch(unavailable);
        if (out !== true && out.kind === 'blocked' && out.capped) return { from: canonical, to: fallback, expiresAt: null, hb: null };
      } else {
        const holdUntil = nowMs + (pool.settings.activeWindowSeconds + pool.settings.holdSeconds) * 1000;
        const limit = await this.limits.reserve(pool, session, visitor, input.ip, caps, holdUntil, nowMs).catch(noCount);
        if (limit) {
          this.deps.leases.capped(pool, limit);
          return { from: canonical, to: fallback, expiresAt: null, hb: null };
        }
        out = await this.deps.leases.lease(pool, session, visitor).catch(unavailable);
        if (out === true || out.kind !== 'leased') await this.limits.released(pool.id, session).catch(noCount);
        else if (out.expiresAt !== holdUntil) await this.limits.extended(pool.id, session, out.expiresAt, nowMs).catch(noCount);
      }
      if (out === true) {
        fellBack = true;
        return { from: canonical, to: fallback, expiresAt: null, hb: pool.settings.heartbeatSeconds };
      }
      return out.kind === 'leased'
        ? { from: canonical, to: out.e164, expiresAt: out.expiresAt, hb: pool.settings.heartbeatSeconds }
        : { from: canonical, to: fallback, expiresAt: null, hb: pool.settings.heartbeatSeconds };
    });
    const results = (await Promise.all(jobs)).filter((r) => r !== null && r.to !== r.from) as Array<{
      from: string;
      to: string;
      expiresAt: number | null;
      hb: number | null;
    }>;
    const expiries = results.flatMap((r) => (r.expiresAt === null ? [] : [r.expiresAt]));
    const beats = results.flatMap((r) => (r.hb === null ? [] : [r.hb]));
    if (store) {
      // A fallback for want of the lease state counts as leased: its next heartbeat after the outage gets a new session.
      const leased = expiries.length > 0 || fellBack || this.recent.get(session)?.leased === true;
      this.recent.delete(session);
      if (this.recent.size >= MAX_RECENT_SESSIONS) this.recent.delete(this.recent.keys().next().value as string);
      this.recent.set(session, { siteId: site.id, visitorId: visitor, channelId: channel?.id ?? null, leased });
      // A reload of the session's last page is only a last-seen touch: no record to build, no address to hash.
      const at = this.deps.clock.now();
      if (!this.deps.recorder.touchIfRepeat(site.id, session, input.pageUrl, at))
        await this.deps.recorder.visit({
          accountId: site.accountId,
          siteId: site.id,
          visitorId: visitor,
          sessionId: session,
          channelId: channel?.id ?? null,
          pageUrl: input.pageUrl ?? null,
          referrer: input.referrer || null,
          visit,
          utmSource: classified.utmSource,
          utmMedium: classified.utmMedium,
          device: { ...(input.device ?? {}), ...(input.userAgent ? { ua: input.userAgent.slice(0, 512) } : {}) },
          clientIds: input.clientIds ?? {},
          ipHash: input.ip ? this.ipHasher.hash(input.ip) : null,
          consent: site.settings.consent === 'required' ? 'granted' : 'not_required',
          isBot,
          leased: expiries.length > 0,
          attributionTouch: site.settings.attributionTouch,
          at,
        });
    }
    return {
      session,
      visitor,
      channel: channel ? { id: channel.id, name: channel.name, kind: channel.kind } : null,
      swaps: results.map((r) => {
        const from = formsOf(cfg, r.from);
        const to = formsOf(cfg, r.to);
        return { from: r.from, to: r.to, display: to.display, fromForms: from.digits, toForms: to.digits };
      }),
      expiresAt: expiries.length ? new Date(Math.min(...expiries)).toISOString() : null,
      heartbeatSeconds: (expiries.length || fellBack) && beats.length ? Math.min(...beats) : IDLE_HEARTBEAT_SECONDS,
      ...(fellBack ? { fallback: true as const } : {}),
    };
  }

  /** A tel: link was clicked on the page: recorded when the number is one of the site's tracking numbers. */
  async telClick(siteKey: string, origin: string | null, sessionId: string, e164: string): Promise<void> {
    return this.telClickFor(await this.siteFor(siteKey, origin), sessionId, e164);
  }

  /** `telClick` for a site already looked up with `siteFor` (its origin checked). */
  async telClickFor(cfg: SiteConfig, sessionId: string, e164: string): Promise<void> {
    if (sessionId.startsWith(UNSTORED_PREFIX) || !cfg.trackingNumbers.has(e164)) return;
    await this.deps.recorder.telClick({ accountId: cfg.site.accountId, siteId: cfg.site.id, sessionId, e164, at: this.deps.clock.now() });
  }

  /** Token bucket per client address: `sessionsPerMinute` as the burst and the refill rate. In memory, per process. */
  private takeToken(ip: string): void {
    const rate = this.deps.sessionsPerMinute;
    if (rate <= 0) return;
    const now = this.deps.clock.nowMs();
    const b = this.buckets.get(ip) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 60_000);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(ip, b);
      throw new TooManyRequestsError('Too many sessions from this address; try again later');
    }
    b.tokens -= 1;
    if (this.buckets.size >= 100_000) this.buckets.clear();
    this.buckets.set(ip, b);
  }

  /**
   * Extends the session's leases in every session pool of the site. A session that held a pool number and holds
   * none any more is gone (410: the widget starts a new one); an unknown session is 404; a session that only ever had
   * channel-level numbers stays as it is (active false).
   */
  async heartbeat(
    siteKey: string,
    origin: string | null,
    sessionId: string,
  ): Promise<{ active: boolean; expiresAt: string | null; fallback?: true }> {
    return this.heartbeatFor(await this.siteFor(siteKey, origin), sessionId);
  }

  /** `heartbeat` for a site already looked up with `siteFor` (its origin checked). */
  async heartbeatFor(cfg: SiteConfig, sessionId: string): Promise<{ active: boolean; expiresAt: string | null; fallback?: true }> {
    // Only an id this gateway minted keeps numbers: a guessed or counted one extends nobody's lease.
    if (!this.minted(sessionId, UNSTORED_PREFIX)) throw new NotFoundError('Unknown session');
    try {
      return await this.beat(cfg, sessionId);
    } catch (err) {
      unavailable(err);
      // The lease lapses on its own if the outage outlasts it; the page keeps what it shows meanwhile.
      return { active: false, expiresAt: null, fallback: true };
    }
  }

  private async beat(cfg: SiteConfig, sessionId: string): Promise<{ active: boolean; expiresAt: string | null }> {
    const now = this.deps.clock.nowMs();
    const pools = cfg.pools.filter((p) => p.kind === 'session');
    // A session past the pool's age limit is no longer extended: once inactive, its number can go to a new visitor.
    const beats = pools.map(async (p) => {
      if (sessionTooOld(p, sessionId, now)) {
        this.deps.leases.capped(p, 'age');
        return 'aged' as const;
      }
      const until = await this.deps.leases.heartbeat(p, sessionId);
      // A store that counts holds extended them in the heartbeat itself.
      if (until !== null && !this.deps.leases.countsHolds) await this.limits.extended(p.id, sessionId, until, now).catch(noCount);
      return until;
    });
    const all = await Promise.all(beats);
    if (all.includes('aged')) return { active: false, expiresAt: null };
    const got = all.filter((x): x is number => typeof x === 'number');
    if (got.length > 0) {
      this.deps.recorder.seen(cfg.site.id, sessionId, this.deps.clock.now());
      return { active: true, expiresAt: new Date(Math.min(...got)).toISOString() };
    }
    if (sessionId.startsWith(UNSTORED_PREFIX)) return { active: false, expiresAt: null };
    const row = await this.sessionFacts(cfg.site.id, sessionId);
    if (!row) throw new NotFoundError('Unknown session');
    if (row.leased) {
      const retaken = await this.retake(cfg, sessionId, row.visitorId, row.channelId);
      if (retaken === null) throw new GoneError('The session no longer holds its numbers; start a new one');
      this.deps.recorder.seen(cfg.site.id, sessionId, this.deps.clock.now());
      return { active: true, expiresAt: new Date(retaken).toISOString() };
    }
    this.deps.recorder.seen(cfg.site.id, sessionId, this.deps.clock.now());
    return { active: false, expiresAt: null };
  }

  private async sessionFacts(siteId: string, sessionId: string): Promise<SessionFacts | null> {
    const hit = this.recent.get(sessionId);
    if (hit) return hit.siteId === siteId ? hit : null;
    const row = (await this.deps.db('web_sessions').where({ id: sessionId, site_id: siteId }).first('leased', 'visitor_id', 'channel_id')) as
      | { leased: boolean; visitor_id: string; channel_id: string | null }
      | undefined;
    return row ? { siteId, visitorId: row.visitor_id, channelId: row.channel_id, leased: row.leased } : null;
  }

  /**
   * The widget sends `leave` on every `pagehide`, page-to-page navigation included, and the next page heartbeats the
   * stored session. The session gets its numbers back when the lease engine hands each one back as the visitor's own
   * (`sticky`: nobody held it since), i.e. the numbers the page still shows; otherwise anything taken is given back and
   * the caller answers 410. Returns the earliest expiry, or null.
   */
  private async retake(cfg: SiteConfig, sessionId: string, visitorId: string, channelId: string | null): Promise<number | null> {
    const channel = cfg.channels.find((c) => c.id === channelId) ?? null;
    const pools = [...new Set(cfg.site.canonicalNumbers.map((c) => pickPool(cfg.pools, c, channel)))].filter(
      (p): p is Pool => p !== null && p.kind === 'session',
    );
    if (pools.length === 0) return null;
    const outs = await Promise.all(pools.map((p) => this.deps.leases.lease(p, sessionId, visitorId)));
    if (outs.every((o) => o.kind === 'leased' && o.how === 'sticky')) {
      const now = this.deps.clock.nowMs();
      await Promise.all(
        outs.map((o, i) =>
          o.kind === 'leased'
            ? this.limits.reserve(pools[i]!, sessionId, visitorId, undefined, this.caps(cfg.site, pools[i]!), o.expiresAt, now).catch(noCount)
            : null,
        ),
      );
      return Math.min(...outs.map((o) => (o.kind === 'leased' ? o.expiresAt : 0)));
    }
    await Promise.all(pools.map((p, i) => (outs[i]?.kind === 'leased' ? this.deps.leases.release(p, sessionId, 'left') : null)));
    await Promise.all(pools.map((p) => this.limits.released(p.id, sessionId).catch(noCount)));
    return null;
  }

  async leave(siteKey: string, origin: string | null, sessionId: string): Promise<void> {
    return this.leaveFor(await this.siteFor(siteKey, origin), sessionId);
  }

  /** `leave` for a site already looked up with `siteFor` (its origin checked). */
  async leaveFor(cfg: SiteConfig, sessionId: string): Promise<void> {
    // Only an id this gateway minted can give numbers back: a guessed or counted one releases nobody's.
    if (!this.minted(sessionId, UNSTORED_PREFIX)) throw new NotFoundError('Unknown session');
    const pools = cfg.pools.filter((p) => p.kind === 'session');
    // The holds keep counting until the leases would have ended: the next page of the visit takes them back (retake).
    // Without the lease state (outage) the leases lapse on their own; the page is leaving either way.
    await Promise.all(pools.map((p) => this.deps.leases.release(p, sessionId, 'left'))).catch(unavailable);
  }
}
