import { expect } from 'chai';
import { HoldLimits } from './hold-limits.js';
import type { HoldCounter } from './hold-limits.js';
import { SessionIds } from './session-ids.js';
import type { Db } from '../../adapters/db/knex.js';
import { createLogger } from '../../logging/logger.js';
import { ManualClock } from '../../shared/clock.js';
import { EventBus } from '../../shared/event-bus.js';
import type { Channel, ChannelStore } from '../channels/channel-store-type.js';
import { NumberLeaseService } from '../number-pools/number-lease-service.js';
import type { LeaseOutcome, LeasePool, LeaseRequest, NumberLeaseStore } from '../number-pools/number-lease-store-type.js';
import { noPoolMetrics } from '../number-pools/pool-metrics.js';
import { LeaseStoreUnavailableError } from '../number-pools/fail-soft-lease-store.js';
import { DEFAULT_POOL_SETTINGS } from '../number-pools/pool-store-type.js';
import type { Pool, PoolStore } from '../number-pools/pool-store-type.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import type { Site } from '../sites/site-types.js';
import type { TrackingNumber, TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import { DniSessionService, isBotUserAgent, originAllowed } from './dni-session-service.js';
import type { TelClickRecord, VisitRecord, VisitRecorder } from './visit-recorder.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

class FakeRecorder {
  visits: VisitRecord[] = [];
  clicks: TelClickRecord[] = [];
  async visit(r: VisitRecord): Promise<void> {
    this.visits.push(r);
  }
  async telClick(r: TelClickRecord): Promise<void> {
    this.clicks.push(r);
  }
  seen(): void {}
  /** The embedded mode's answer: every visit is recorded in full. */
  touchIfRepeat(): boolean {
    return false;
  }
}

const at = new Date(0);
const site: Site = {
  id: 'site',
  accountId: 'acc',
  name: 'Shop',
  publicKey: 'shop',
  domains: ['shop.example', '*.shop.example', 'localhost:*'],
  canonicalNumbers: ['+14155550100', '+74951234567'],
  defaultForwardTo: null,
  timezone: 'UTC',
  settings: DEFAULT_SITE_SETTINGS,
  createdAt: at,
  updatedAt: at,
};
const ads: Channel = {
  id: 'ads',
  accountId: 'acc',
  siteId: 'site',
  name: 'Ads',
  kind: 'paid_search',
  rules: [{ click_id: 'gclid' }],
  priority: 1,
  createdAt: at,
  updatedAt: at,
};
const pool = (id: string, kind: Pool['kind'], canonical: string, channelId: string | null, fallback: string | null = null): Pool => ({
  id,
  accountId: 'acc',
  siteId: 'site',
  channelId,
  name: id,
  kind,
  canonicalNumber: canonical,
  fallbackNumber: fallback,
  settings: DEFAULT_POOL_SETTINGS,
  createdAt: at,
  updatedAt: at,
});

/** A lease store that gives out a fixed number per pool until told the pool is full. */
class FakeLeaseStore implements Partial<NumberLeaseStore> {
  full = new Set<string>();
  released: string[] = [];
  beats = 0;
  /** The store's backend is away (Redis outage): every request-path operation fails as the fail-soft wrapper does. */
  down = false;
  /** What heartbeats answer (null: the session holds nothing). */
  beatUntil: number | null = null;
  private check(op: string): void {
    if (this.down) throw new LeaseStoreUnavailableError(op, new Error('connection refused'));
  }
  async heartbeat(): Promise<number | null> {
    this.check('heartbeat');
    this.beats += 1;
    return this.beatUntil;
  }
  async release(p: LeasePool, sessionId: string): Promise<boolean> {
    this.check('release');
    this.released.push(`${p.id}:${sessionId}`);
    return true;
  }
  calls: { pool: string; req: LeaseRequest }[] = [];
  async lease(p: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    this.check('lease');
    this.calls.push({ pool: p.id, req });
    if (this.full.has(p.id)) return { kind: 'blocked' };
    const e164 = p.id === 'web-us' ? '+14155550101' : '+74951234561';
    return {
      kind: 'leased',
      leaseId: 'l',
      trackingNumberId: 'n',
      e164,
      leasedAt: req.now,
      expiresAt: req.now + 300_000,
      how: 'free',
      reclaimedFrom: null,
    };
  }
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

function setup(
  opts: {
    sessionsPerMinute?: number;
    settings?: Partial<Site['settings']>;
    rows?: Record<string, object>;
    poolSettings?: Partial<Pool['settings']>;
    maxNumbersPerAddress?: number;
    holds?: HoldCounter;
    /** The site's channels as the store lists them now (a test may change them). */
    channels?: Channel[];
  } = {},
) {
  const withSettings = (p: Pool): Pool => ({ ...p, settings: { ...p.settings, ...opts.poolSettings } });
  const pools = [
    withSettings(pool('web-us', 'session', '+14155550100', null)),
    withSettings(pool('web-ru', 'session', '+74951234567', null, '+74950000000')),
    pool('ads-us', 'static', '+14155550100', 'ads'),
  ];
  let loads = 0;
  const sites = {
    getByPublicKey: async (_db: Db, key: string) => {
      loads += 1;
      return key === 'shop' ? { ...site, settings: { ...site.settings, ...opts.settings } } : null;
    },
  } as unknown as SiteStore;
  const channels = { list: async () => opts.channels ?? [ads] } as unknown as ChannelStore;
  const poolStore = { listBySite: async () => pools } as unknown as PoolStore;
  const numbers = {
    listByPool: async (_db: Db, id: string) => (id === 'ads-us' ? [{ e164: '+14155550110', status: 'active' } as TrackingNumber] : []),
    listFormsByPool: async (_db: Db, id: string) => (id === 'ads-us' ? [{ e164: '+14155550110', status: 'active' }] : []),
  } as unknown as TrackingNumberStore;
  const store = new FakeLeaseStore();
  const logger = createLogger({ level: 'silent' });
  const leases = new NumberLeaseService({
    db: {} as Db,
    pools: poolStore,
    numbers,
    leases: store as unknown as NumberLeaseStore,
    metrics: noPoolMetrics,
    clock: new ManualClock(),
    logger,
  });
  const events = new EventBus(logger);
  const clock = new ManualClock();
  const recorder = new FakeRecorder();
  // web_sessions rows as another replica wrote them: the only SQL the service reads itself.
  const db = ((table: string) => ({
    where: (w: { id: string }) => ({ first: async () => (table === 'web_sessions' ? opts.rows?.[w.id] : undefined) }),
  })) as unknown as Db;
  const dni = new DniSessionService({
    db,
    sites,
    channels,
    pools: poolStore,
    numbers,
    leases,
    events,
    clock,
    recorder: recorder as unknown as VisitRecorder,
    secret: Buffer.alloc(32, 1),
    sessionsPerMinute: opts.sessionsPerMinute ?? 0,
    ...(opts.maxNumbersPerAddress !== undefined ? { maxNumbersPerAddress: opts.maxNumbersPerAddress } : {}),
    ...(opts.holds ? { holds: opts.holds } : {}),
  });
  return { dni, store, events, clock, recorder, loads: () => loads };
}

describe('DniSessionService', () => {
  it('leases a session number per canonical number for an unclassified visit', async () => {
    const { dni, store } = setup();
    const sessionId = new SessionIds(Buffer.alloc(32, 1)).mint();
    const r = await dni.start({
      siteKey: 'shop',
      origin: null,
      sessionId,
      visitorId: 'visitor-01',
      pageUrl: 'https://shop.example/',
      userAgent: UA,
    });
    expect(r.swaps.map((s) => [s.from, s.to])).to.deep.equal([
      ['+14155550100', '+14155550101'],
      ['+74951234567', '+74951234561'],
    ]);
    expect(r.channel).to.equal(null);
    expect(
      store.calls.map((c) => c.req.sessionId),
      'the minted id resumes',
    ).to.deep.equal([sessionId, sessionId]);
    expect(r.heartbeatSeconds).to.equal(60);
  });

  it('records the visit with its classification and a salted IP hash, never the IP', async () => {
    const { dni, recorder } = setup();
    await dni.start({
      siteKey: 'shop',
      origin: null,
      pageUrl: 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=nov',
      referrer: 'https://mail.example/',
      userAgent: UA,
      ip: '203.0.113.7',
      consent: true,
      device: { w: 1, h: 2, touch: false, lang: 'en' },
    });
    const v = recorder.visits[0]!;
    expect(v).to.include({ consent: 'not_required', isBot: false, leased: true, utmSource: 'news', utmMedium: 'email', channelId: null });
    expect(v.visit).to.include({ source: 'news', medium: 'email', campaign: 'nov', kind: 'email' });
    expect(v.ipHash).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(v)).not.to.include('203.0.113.7');
  });

  it('gives bots channel-level numbers only and records them as bots', async () => {
    const { dni, store, recorder } = setup();
    const organic = await dni.start({
      siteKey: 'shop',
      origin: null,
      pageUrl: 'https://shop.example/',
      userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)',
    });
    expect(organic.swaps, 'canonical numbers stay').to.deep.equal([]);
    const paid = await dni.start({ siteKey: 'shop', origin: null, pageUrl: 'https://shop.example/?gclid=x', userAgent: 'HeadlessChrome/120' });
    expect(paid.swaps.map((s) => s.to)).to.deep.equal(['+14155550110']);
    expect(store.calls, 'no lease').to.have.length(0);
    expect(recorder.visits.map((v) => v.isBot)).to.deep.equal([true, true]);
    expect(organic.heartbeatSeconds).to.equal(3600);
  });

  it('stores nothing and leases nothing without consent where the site requires it', async () => {
    const { dni, store, recorder } = setup({ settings: { consent: 'required' } });
    const r = await dni.start({ siteKey: 'shop', origin: null, pageUrl: 'https://shop.example/?gclid=x', userAgent: UA });
    expect(r.swaps.map((s) => s.to)).to.deep.equal(['+14155550110']);
    expect(store.calls).to.have.length(0);
    expect(recorder.visits).to.have.length(0);
    await dni.telClick('shop', null, r.session, '+14155550110');
    expect(recorder.clicks).to.have.length(0);
    expect(r.session).to.match(/^n_/);
    // Consent granted on the same page: the widget still holds the ids of the first answer.
    const g = await dni.start({
      siteKey: 'shop',
      origin: null,
      pageUrl: 'https://shop.example/',
      userAgent: UA,
      consent: true,
      sessionId: r.session,
      visitorId: r.visitor,
    });
    expect(g.session).to.not.match(/^n_/);
    expect(g.visitor).to.not.match(/^n_/);
    expect(recorder.visits.map((v) => v.consent)).to.deep.equal(['granted']);
  });

  it('records tel: clicks on tracking numbers only', async () => {
    const { dni, recorder } = setup();
    await dni.telClick('shop', null, 'sess-0001', '+14155550110');
    await dni.telClick('shop', null, 'sess-0001', '+14155550100');
    expect(recorder.clicks.map((c) => c.e164)).to.deep.equal(['+14155550110']);
  });

  it('limits session starts per address with a token bucket', async () => {
    const { dni, clock } = setup({ sessionsPerMinute: 2 });
    const go = () => dni.start({ siteKey: 'shop', origin: null, userAgent: UA, ip: '198.51.100.1' });
    await go();
    await go();
    expect(await failure(go())).to.include({ name: 'TooManyRequestsError' });
    await dni.start({ siteKey: 'shop', origin: null, userAgent: UA, ip: '198.51.100.2' });
    clock.advance(30_000);
    await go();
  });

  it("shows the channel's static number where it has one, and the fallback when a pool is full", async () => {
    const { dni, store } = setup();
    store.full.add('web-ru');
    const r = await dni.start({ siteKey: 'shop', origin: 'https://www.shop.example', pageUrl: 'https://www.shop.example/?gclid=1', userAgent: UA });
    expect(r.channel?.name).to.equal('Ads');
    expect(r.swaps.map((s) => s.to)).to.deep.equal(['+14155550110', '+74950000000']);
    expect(
      store.calls.map((c) => c.pool),
      'no lease for the static pool',
    ).to.deep.equal(['web-ru']);
  });

  it('refuses unknown keys and foreign origins, and reloads a site after a change', async () => {
    const { dni, events, clock, loads } = setup();
    expect(await failure(dni.start({ siteKey: 'nope', origin: null }))).to.include({ name: 'NotFoundError' });
    expect(await failure(dni.start({ siteKey: 'shop', origin: 'https://evil.example' }))).to.include({ name: 'ForbiddenError' });
    const before = loads();
    await dni.start({ siteKey: 'shop', origin: null });
    expect(loads(), 'cached').to.equal(before);
    await events.emit('pool.changed', { accountId: 'acc', poolId: 'web-us' });
    await dni.start({ siteKey: 'shop', origin: null });
    expect(loads()).to.equal(before + 1);
    clock.advance(31_000);
    await dni.start({ siteKey: 'shop', origin: null });
    expect(loads(), 'another replica may have changed it: reloaded after the TTL').to.equal(before + 2);
  });
});

describe('DniSessionService heartbeat without a lease', () => {
  it('reads sessions started elsewhere from SQL: 404 unknown, 200 channel-level only, 410 when its numbers are gone', async () => {
    // Ids the gateway minted (another replica, same secret); only those are looked up at all.
    const ids = new SessionIds(Buffer.alloc(32, 1));
    const [unknown, staticOnly, pooled] = [ids.mint(), ids.mint(), ids.mint()];
    const rows = {
      [staticOnly]: { leased: false, visitor_id: 'v', channel_id: 'ads' },
      [pooled]: { leased: true, visitor_id: 'v', channel_id: null },
    };
    const { dni, store } = setup({ rows });
    expect(await failure(dni.heartbeat('shop', null, unknown))).to.include({ name: 'NotFoundError' });
    expect(await failure(dni.heartbeat('shop', null, 'made-up-01')), 'not minted here').to.include({ name: 'NotFoundError' });
    expect(store.beats, 'the minted id was looked up in both session pools, the made-up one in none').to.equal(2);
    expect(await dni.heartbeat('shop', null, staticOnly)).to.deep.equal({ active: false, expiresAt: null });
    // The fake store hands out numbers as 'free', not as the visitor's own: given back, and 410.
    expect(await failure(dni.heartbeat('shop', null, pooled))).to.include({ name: 'GoneError' });
    expect(store.released.sort()).to.deep.equal([`web-ru:${pooled}`, `web-us:${pooled}`]);
  });

  it('remembers the sessions it started, without SQL', async () => {
    const { dni } = setup();
    // A crawler's session: recorded, never leased. Without the memory it would be 404 (no SQL row in this fake).
    const a = await dni.start({ siteKey: 'shop', origin: null, pageUrl: 'https://shop.example/', userAgent: 'Googlebot/2.1' });
    expect(await dni.heartbeat('shop', null, a.session)).to.deep.equal({ active: false, expiresAt: null });
  });

  it('classifies visits without a query or referrer once per configuration, and again after a channel change', async () => {
    const direct: Channel = { ...ads, id: 'direct', name: 'Direct', kind: 'direct', rules: [{ utm_source: '(direct)' }] };
    const list: Channel[] = [ads];
    const { dni, events, recorder } = setup({ channels: list });
    const visit = (pageUrl: string, referrer?: string) =>
      dni.start({ siteKey: 'shop', origin: null, pageUrl, ...(referrer ? { referrer } : {}), userAgent: UA });
    expect((await visit('https://shop.example/a')).channel).to.equal(null);
    expect((await visit('https://shop.example/b')).channel).to.equal(null);
    expect((await visit('https://shop.example/c?gclid=1')).channel?.id).to.equal('ads');
    expect((await visit('https://shop.example/d', 'https://news.example/')).channel).to.equal(null);
    expect(recorder.visits.map((v) => v.visit.kind)).to.deep.equal(['direct', 'direct', 'paid_search', 'referral']);
    list.push(direct);
    await events.emit('channel.changed', { accountId: 'acc', siteId: 'site', channelId: 'direct' });
    expect((await visit('https://shop.example/e')).channel?.id).to.equal('direct');
    expect((await visit('https://shop.example/f', 'https://news.example/')).channel).to.equal(null);
  });

  it("checks the MAC of a session id it did not store itself only: its own sessions' pages and heartbeats skip it", async () => {
    const { dni, store } = setup();
    store.beatUntil = 1e12;
    const a = await dni.start({ siteKey: 'shop', origin: null, pageUrl: 'https://shop.example/', userAgent: UA });
    const original = SessionIds.prototype.isMinted;
    let checks = 0;
    SessionIds.prototype.isMinted = function (this: SessionIds, ...args: Parameters<SessionIds['isMinted']>) {
      checks += 1;
      return original.apply(this, args);
    };
    try {
      const b = await dni.start({
        siteKey: 'shop',
        origin: null,
        sessionId: a.session,
        visitorId: a.visitor,
        pageUrl: 'https://shop.example/2',
        userAgent: UA,
      });
      expect(b.session).to.equal(a.session);
      expect((await dni.heartbeat('shop', null, a.session)).active).to.equal(true);
      expect(checks).to.equal(0);
      // An id minted by another replica (same secret) is still checked, and still resumes; a forged one does not.
      const other = new SessionIds(Buffer.alloc(32, 1)).mint();
      expect((await dni.start({ siteKey: 'shop', origin: null, sessionId: other, userAgent: UA })).session).to.equal(other);
      const forged = `${other.slice(0, -1)}${other.endsWith('A') ? 'B' : 'A'}`;
      expect((await dni.start({ siteKey: 'shop', origin: null, sessionId: forged, userAgent: UA })).session).to.not.equal(forged);
      expect(checks).to.equal(2);
    } finally {
      SessionIds.prototype.isMinted = original;
    }
  });
});

describe('isBotUserAgent', () => {
  it('knows crawlers and automation, not browsers', () => {
    expect(isBotUserAgent(UA)).to.equal(false);
    expect(isBotUserAgent('Mozilla/5.0 (Linux; Android 13; Cubot KingKong) Mobile')).to.equal(false);
    for (const ua of [
      'Mozilla/5.0 (compatible; bingbot/2.0)',
      'facebookexternalhit/1.1',
      'Mozilla/5.0 (compatible; YandexBot/3.0)',
      'HeadlessChrome',
      undefined,
    ])
      expect(isBotUserAgent(ua), String(ua)).to.equal(true);
  });
});

describe('originAllowed', () => {
  it('matches exact hosts, subdomain wildcards and port rules', () => {
    const d = ['shop.example', '*.shop.example', 'localhost:*', '127.0.0.1:8080'];
    expect(originAllowed('https://shop.example', d)).to.equal(true);
    expect(originAllowed('https://a.shop.example', d)).to.equal(true);
    expect(originAllowed('https://evilshop.example', d)).to.equal(false);
    expect(originAllowed('https://shop.example:8443', d)).to.equal(false);
    expect(originAllowed('http://localhost:5173', d)).to.equal(true);
    expect(originAllowed('http://127.0.0.1:8080', d)).to.equal(true);
    expect(originAllowed('http://127.0.0.1:9090', d)).to.equal(false);
    expect(originAllowed('null', d)).to.equal(false);
  });
});

describe('DniSessionService without the live lease state (Redis outage)', () => {
  it('answers static numbers, fallbacks and the flag; heartbeats and leaves answer without it', async () => {
    const { dni, store } = setup();
    store.down = true;
    const a = await dni.start({ siteKey: 'shop', origin: null, pageUrl: 'https://shop.example/?gclid=x', userAgent: UA });
    expect(
      a.swaps.map((s) => s.to),
      "the paid channel's static number needs no lease",
    ).to.deep.equal(['+14155550110', '+74950000000']);
    const b = await dni.start({ siteKey: 'shop', origin: null, userAgent: UA });
    expect(
      b.swaps.map((s) => s.to),
      "web-ru's fallback; web-us has none, so the page keeps its own number",
    ).to.deep.equal(['+74950000000']);
    expect(b.fallback).to.equal(true);
    expect(b.heartbeatSeconds, 'the page checks back soon').to.equal(60);
    expect(await dni.heartbeat('shop', null, b.session)).to.deep.equal({ active: false, expiresAt: null, fallback: true });
    await dni.leave('shop', null, b.session);
    // Back: the next start leases again, and the fallback page's heartbeat gets a new session (410).
    store.down = false;
    const c = await dni.start({ siteKey: 'shop', origin: null, userAgent: UA });
    expect(c.swaps.map((s) => s.to)).to.deep.equal(['+14155550101', '+74951234561']);
    expect(c).to.not.have.property('fallback');
    expect(await failure(dni.heartbeat('shop', null, b.session))).to.include({ name: 'GoneError' });
  });

  it('passes other errors on', async () => {
    const { dni, store } = setup();
    store.lease = async () => {
      throw new Error('a bug');
    };
    expect(await failure(dni.start({ siteKey: 'shop', origin: null, userAgent: UA }))).to.include({ message: 'a bug' });
  });
});

describe('DniSessionService holding caps', () => {
  const pooled = (a: { swaps: readonly { to: string }[] }) => a.swaps.filter((s) => s.to === '+14155550101').length;

  it('one visitor id holds at most maxNumbersPerVisitor numbers of a pool; a left session counts until its lease would end', async () => {
    const { dni, clock } = setup({ poolSettings: { maxNumbersPerVisitor: 2 } });
    const v = 'visitor-1';
    const s1 = await dni.start({ siteKey: 'shop', origin: null, visitorId: v, userAgent: UA });
    const s2 = await dni.start({ siteKey: 'shop', origin: null, visitorId: v, userAgent: UA });
    const s3 = await dni.start({ siteKey: 'shop', origin: null, visitorId: v, userAgent: UA });
    expect([s1, s2, s3].map(pooled)).to.deep.equal([1, 1, 0]);
    expect(
      s3.swaps.map((s) => s.to),
      'the fallback where the pool has one',
    ).to.deep.equal(['+74950000000']);
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: 'visitor-2', userAgent: UA })), 'others are served').to.equal(1);
    expect(
      pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: v, sessionId: s1.session, userAgent: UA })),
      'its own session renews',
    ).to.equal(1);
    // Leaving and coming back (a page navigation) is no way around the cap.
    await dni.leave('shop', null, s2.session);
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: v, userAgent: UA }))).to.equal(0);
    clock.advance(300_001);
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: v, userAgent: UA }))).to.equal(1);
  });

  it('one address holds at most maxNumbersPerAddress numbers, whatever visitor ids it sends', async () => {
    const { dni } = setup({ poolSettings: { maxNumbersPerVisitor: 0 }, maxNumbersPerAddress: 3 });
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(pooled(await dni.start({ siteKey: 'shop', origin: null, ip: '203.0.113.9', userAgent: UA })));
    expect(got).to.deep.equal([1, 1, 1, 0, 0]);
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, ip: '198.51.100.1', userAgent: UA }))).to.equal(1);
  });

  it("takes the address cap from the site's settings, the gateway's value only as the default", async () => {
    const from = (dni: DniSessionService) => dni.start({ siteKey: 'shop', origin: null, ip: '203.0.113.7', userAgent: UA });
    const one = setup({ poolSettings: { maxNumbersPerVisitor: 0 }, maxNumbersPerAddress: 3, settings: { maxNumbersPerAddress: 1 } });
    expect([pooled(await from(one.dni)), pooled(await from(one.dni))]).to.deep.equal([1, 0]);
    const none = setup({ poolSettings: { maxNumbersPerVisitor: 0 }, maxNumbersPerAddress: 1, settings: { maxNumbersPerAddress: 0 } });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(pooled(await from(none.dni)));
    expect(got, '0: no limit').to.deep.equal([1, 1, 1, 1]);
  });

  it('counts holds in the counter it is given, so replicas sharing one keep one cap', async () => {
    const holds = new HoldLimits();
    const a = setup({ poolSettings: { maxNumbersPerVisitor: 0 }, maxNumbersPerAddress: 2, holds });
    const b = setup({ poolSettings: { maxNumbersPerVisitor: 0 }, maxNumbersPerAddress: 2, holds });
    const from = (dni: DniSessionService) => dni.start({ siteKey: 'shop', origin: null, ip: '203.0.113.8', userAgent: UA });
    expect([pooled(await from(a.dni)), pooled(await from(b.dni)), pooled(await from(a.dni)), pooled(await from(b.dni))]).to.deep.equal([1, 1, 0, 0]);
  });

  it('does not count a lease that was refused (exhausted pool)', async () => {
    const { dni, store } = setup({ poolSettings: { maxNumbersPerVisitor: 1 } });
    store.full.add('web-us');
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: 'v', userAgent: UA }))).to.equal(0);
    store.full.delete('web-us');
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: 'v', userAgent: UA }))).to.equal(1);
  });

  it('holds end with their lease: an expired one no longer counts', async () => {
    const { dni, clock } = setup({ poolSettings: { maxNumbersPerVisitor: 1 } });
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: 'v', userAgent: UA }))).to.equal(1);
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: 'v', userAgent: UA }))).to.equal(0);
    clock.advance(300_001);
    expect(pooled(await dni.start({ siteKey: 'shop', origin: null, visitorId: 'v', userAgent: UA }))).to.equal(1);
  });

  it('heartbeats stop extending a session older than maxSessionSeconds, and a reload of it gets a new session', async () => {
    const { dni, store, clock } = setup({ poolSettings: { maxSessionSeconds: 3600 } });
    clock.set(Date.now());
    const a = await dni.start({ siteKey: 'shop', origin: null, userAgent: UA });
    store.beatUntil = clock.nowMs() + 300_000;
    expect((await dni.heartbeat('shop', null, a.session)).active).to.equal(true);
    expect(store.beats).to.equal(2);
    clock.advance(3_601_000);
    expect(await dni.heartbeat('shop', null, a.session)).to.deep.equal({ active: false, expiresAt: null });
    expect(store.beats, 'no lease was extended').to.equal(2);
    const again = await dni.start({ siteKey: 'shop', origin: null, sessionId: a.session, userAgent: UA });
    expect(again.session).to.not.equal(a.session);
  });
});
