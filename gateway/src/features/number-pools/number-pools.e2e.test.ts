import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import type { TestDatabase } from '../../../test/helpers/db.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { createTestRedis } from '../../../test/helpers/redis.js';
import { testEnv } from '../../../test/helpers/test-env.js';
import { newId } from '../../shared/ids.js';
import { displayPrefix, hashToken, newSecretToken } from '../auth/tokens.js';

interface Swap {
  from: string;
  to: string;
}
interface Session {
  session: string;
  visitor: string;
  channel: { name: string } | null;
  swaps: Swap[];
  expiresAt: string | null;
}

async function otherTenantKey(db: TestDatabase): Promise<string> {
  const accountId = newId();
  await db.knex('accounts').insert({ id: accountId, name: 'Other' });
  const key = newSecretToken('ctk_');
  await db
    .knex('api_keys')
    .insert({ id: newId(), account_id: accountId, name: 'k', role: 'owner', display_prefix: displayPrefix(key), key_hash: hashToken(key) });
  return key;
}

/** The admin API builds a site's pools; the widget route leases from them. Run in both runtime modes. */
function poolsAndDni(mode: 'sql' | 'redis'): void {
  const t = useTestDatabase();
  let gw: TestGateway;
  let otherKey: string;
  let siteKey: string;
  let ids: { site: string; channel: string; session: string; static: string; numbers: Record<string, string> };

  const post = async <T>(path: string, json: unknown, key?: string): Promise<T> => {
    const res = await gw.api(path, { method: 'POST', json, ...(key ? { key } : {}) });
    expect(res.status, `${path}: ${await res.clone().text()}`).to.equal(201);
    return (await res.json()) as T;
  };
  const dni = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
      body: JSON.stringify(body),
    });
  const start = async (body: Record<string, unknown>): Promise<Session> => {
    const res = await dni('/v1/dni/sessions', { site: siteKey, ...body });
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    return (await res.json()) as Session;
  };

  before(async function () {
    if (mode === 'redis' && !testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true but TEST_REDIS_URL is not set');
      this.skip();
    }
    const config = createTestConfig(mode === 'redis' ? { redis: { url: testEnv.redisUrl!, keyPrefix: `t${randomBytes(4).toString('hex')}:` } } : {});
    gw = await startTestGateway(t.db, { config });
    otherKey = await otherTenantKey(t.db);
    siteKey = `shop-${randomBytes(4).toString('hex')}`;
    const site = await post<{ id: string }>('/v1/sites', {
      name: 'Shop',
      publicKey: siteKey,
      domains: ['shop.example'],
      canonicalNumbers: ['+74951234567'],
    });
    const channel = await post<{ id: string }>('/v1/channels', {
      siteId: site.id,
      name: 'Google Ads',
      kind: 'paid_search',
      rules: [{ click_id: 'gclid' }, { utm_source: 'google', utm_medium: 'cpc' }],
      priority: 10,
    });
    const session = await post<{ id: string }>('/v1/pools', {
      siteId: site.id,
      name: 'Website',
      kind: 'session',
      canonicalNumber: '+74951234567',
      fallbackNumber: '+74951230000',
    });
    const stat = await post<{ id: string }>('/v1/pools', {
      siteId: site.id,
      channelId: channel.id,
      name: 'Ads',
      kind: 'static',
      canonicalNumber: '+74951234567',
    });
    const numbers: Record<string, string> = {};
    for (const e164 of ['+74951110001', '+74951110002']) {
      numbers[e164] = (
        await post<{ id: string }>('/v1/tracking-numbers', { e164, provider: 'asterisk', poolId: session.id, forwardTo: '+74950000000' })
      ).id;
    }
    numbers['+74951110009'] = (await post<{ id: string }>('/v1/tracking-numbers', { e164: '+74951110009', provider: 'twilio', poolId: stat.id })).id;
    ids = { site: site.id, channel: channel.id, session: session.id, static: stat.id, numbers };
  });
  after(async () => {
    await gw?.stop();
    if (mode === 'redis' && testEnv.redisUrl) {
      const r = await createTestRedis();
      const prefix = gw.container.config.redis!.keyPrefix;
      for await (const keys of r.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await r.client.del(keys);
      await r.dispose();
    }
  });

  it('validates numbers and references: bad E.164, duplicates, a canonical number the site does not have', async () => {
    expect((await gw.api('/v1/tracking-numbers', { method: 'POST', json: { e164: '84951234567', provider: 'asterisk' } })).status).to.equal(400);
    expect((await gw.api('/v1/tracking-numbers', { method: 'POST', json: { e164: '+74951110001', provider: 'asterisk' } })).status).to.equal(409);
    const bad = await gw.api('/v1/pools', {
      method: 'POST',
      json: { siteId: ids.site, name: 'X', kind: 'session', canonicalNumber: '+14155550100' },
    });
    expect(bad.status).to.equal(400);
  });

  it('refuses ambiguous set-ups: a second pool for the same number and channel, a static pool without a channel', async () => {
    const pool = (json: Record<string, unknown>) =>
      gw.api('/v1/pools', { method: 'POST', json: { siteId: ids.site, canonicalNumber: '+74951234567', ...json } });
    const second = await pool({ name: 'Website 2', kind: 'session' });
    expect(second.status, await second.clone().text()).to.equal(409);
    expect((await pool({ name: 'Ads 2', kind: 'session', channelId: ids.channel })).status).to.equal(409);
    const lonely = await pool({ name: 'Static, no channel', kind: 'static' });
    expect(lonely.status).to.equal(400);
    expect(((await lonely.json()) as { details: { path: string }[] }).details[0]!.path).to.equal('body/channelId');
    // Moving the channel pool onto the site-wide slot would clash too.
    expect((await gw.api(`/v1/pools/${ids.static}`, { method: 'PATCH', json: { channelId: null } })).status).to.equal(400);
    expect((await gw.api(`/v1/pools/${ids.session}`, { method: 'PATCH', json: { channelId: ids.channel } })).status).to.equal(409);
    expect(
      (await gw.api(`/v1/pools/${ids.session}`, { method: 'PATCH', json: { name: 'Website' } })).status,
      'a change that keeps its slot',
    ).to.equal(200);
  });

  it('gives each visitor its own session number, the channel its static number, and the fallback when exhausted', async () => {
    const a = await start({ url: 'https://shop.example/' });
    const b = await start({ url: 'https://shop.example/p' });
    expect(a.swaps).to.have.length(1);
    expect(a.swaps[0]!.from).to.equal('+74951234567');
    expect([a.swaps[0]!.to, b.swaps[0]!.to].sort()).to.deep.equal(['+74951110001', '+74951110002']);
    const c = await start({});
    expect(c.swaps[0]!.to, 'exhausted: fallback').to.equal('+74951230000');
    const ads = await start({ url: 'https://shop.example/?gclid=xyz' });
    expect(ads.channel?.name).to.equal('Google Ads');
    expect(ads.swaps[0]!.to).to.equal('+74951110009');
    const again = await start({ session: a.session, visitor: a.visitor });
    expect(again.swaps[0]!.to, 'the same session keeps its number').to.equal(a.swaps[0]!.to);

    const hb = await dni(`/v1/dni/sessions/${a.session}/heartbeat`, { site: siteKey });
    expect(((await hb.json()) as { active: boolean }).active).to.equal(true);
    expect((await dni(`/v1/dni/sessions/${a.session}/leave`, { site: siteKey })).status).to.equal(204);
    const d = await start({});
    expect(d.swaps[0]!.to, "a's number is free again").to.equal(a.swaps[0]!.to);
    await gw.container.services.leases.flushHistory();
    type Holder = { live: { sessionId: string } | null; lease: { sessionId: string; releasedAt: string | null } | null };
    const holderUrl = `/v1/number-leases/holder?e164=${encodeURIComponent(d.swaps[0]!.to)}`;
    const holder = (await (await gw.api(holderUrl)).json()) as Holder;
    expect(holder.live?.sessionId).to.equal(d.session);
    expect(holder.lease).to.include({ sessionId: d.session, releasedAt: null });
    expect((await (await gw.api(holderUrl, { key: otherKey })).json()) as Holder, 'not for another account').to.include({ live: null, lease: null });
    await dni(`/v1/dni/sessions/${b.session}/leave`, { site: siteKey });
    await dni(`/v1/dni/sessions/${d.session}/leave`, { site: siteKey });

    await gw.container.scheduler.runNow('number-pools.health-sample');
    await gw.container.services.leases.flushHistory();
    const health = (await (await gw.api(`/v1/pools/${ids.session}/health`)).json()) as {
      live: { size: number; inUse: number };
      window: { leases: number; blocked: number; blockedShare: number; reuseGapSeconds: { samples: number } | null; peakArrivalsPerHour: number };
      series: { blocked: number; leases: number }[];
      recommendation: { recommendedSize: number; erlangBSize: number };
    };
    expect(health.live).to.include({ size: 2, inUse: 0 });
    expect(health.window).to.include({ leases: 3, blocked: 1, blockedShare: 0.25 });
    expect(health.window.peakArrivalsPerHour, 'four arrivals, at most split over two 15-minute buckets').to.be.at.least(8);
    expect(health.window.reuseGapSeconds?.samples, "a's number was leased again").to.equal(1);
    expect(health.series.reduce((n, p) => n + p.blocked, 0)).to.equal(1);
    expect(health.recommendation.recommendedSize).to.be.at.least(health.recommendation.erlangBSize);
    const metrics = await (await fetch(`${gw.baseUrl}/metrics`)).text();
    expect(metrics).to.match(new RegExp(`gateway_pool_blocked_visits_total\\{pool="${ids.session}"\\} 1`));
    // One figure everywhere: the API (whatever window it shows) and /metrics.
    expect(metrics).to.match(new RegExp(`gateway_pool_recommended_size\\{pool="${ids.session}"\\} ${health.recommendation.recommendedSize}\\n`));
    const narrow = (await (await gw.api(`/v1/pools/${ids.session}/health?hours=1`)).json()) as typeof health;
    expect(narrow.recommendation.recommendedSize).to.equal(health.recommendation.recommendedSize);
    expect(health.recommendation).to.include({ windowDays: 14, accuracyTarget: 0.99, leaveToCallSource: 'configured' });
    expect(metrics).to.match(new RegExp(`gateway_pool_reuse_gap_median_seconds\\{pool="${ids.session}"\\} [0-9.e-]+`));
  });

  it('answers the widget only for its site key and allowed origins', async () => {
    expect((await dni('/v1/dni/sessions', { site: 'no-such-site' })).status).to.equal(404);
    expect((await dni('/v1/dni/sessions', { site: siteKey }, { origin: 'https://evil.example' })).status).to.equal(403);
    const ok = await dni('/v1/dni/sessions', { site: siteKey }, { origin: 'https://shop.example' });
    expect(ok.headers.get('access-control-allow-origin')).to.equal('https://shop.example');
    await dni(`/v1/dni/sessions/${((await ok.json()) as Session).session}/leave`, { site: siteKey });
    const newer = await dni('/v1/dni/sessions', { site: siteKey, extra: 1 });
    expect(newer.status, 'a field from a newer widget is ignored').to.equal(200);
    await dni(`/v1/dni/sessions/${((await newer.json()) as Session).session}/leave`, { site: siteKey });
    expect((await dni('/v1/dni/sessions', { site: siteKey, consent: 'yes' })).status).to.equal(400);
    expect(
      (await fetch(`${gw.baseUrl}/v1/dni/sessions`, { method: 'POST', body: '{nope', headers: { 'content-type': 'text/plain' } })).status,
    ).to.equal(400);
  });

  it('pauses, moves and quarantines numbers; the lease engine follows', async () => {
    const n1 = ids.numbers['+74951110001']!;
    const paused = await gw.api(`/v1/tracking-numbers/${n1}`, { method: 'PATCH', json: { status: 'paused' } });
    expect(((await paused.json()) as { status: string }).status).to.equal('paused');
    const s1 = await start({});
    const s2 = await start({});
    expect(s1.swaps[0]!.to).to.equal('+74951110002');
    expect(s2.swaps[0]!.to, 'the paused number is not leased').to.equal('+74951230000');
    await dni(`/v1/dni/sessions/${s1.session}/leave`, { site: siteKey });

    const moved = await gw.api(`/v1/tracking-numbers/${n1}`, { method: 'PATCH', json: { status: 'active', poolId: ids.static } });
    expect(((await moved.json()) as { poolId: string }).poolId).to.equal(ids.static);
    expect((await gw.api(`/v1/tracking-numbers?poolId=${ids.session}`).then((r) => r.json())) as { items: unknown[] })
      .to.have.property('items')
      .with.length(1);

    const q = await gw.api(`/v1/tracking-numbers/${ids.numbers['+74951110002']}`, {
      method: 'PATCH',
      json: { status: 'quarantined', quarantineDays: 45 },
    });
    const qn = (await q.json()) as { status: string; quarantinedUntil: string };
    expect(qn.status).to.equal('quarantined');
    expect(Date.parse(qn.quarantinedUntil) - Date.now()).to.be.greaterThan(44 * 86_400_000);
    expect((await start({})).swaps[0]!.to, 'no active number left in the session pool').to.equal('+74951230000');

    // When the quarantine is over, the number comes back into rotation by itself.
    await t.db
      .knex('tracking_numbers')
      .where({ id: ids.numbers['+74951110002'] })
      .update({ quarantined_until: new Date(Date.now() - 1000) });
    await gw.container.scheduler.runNow('tracking-numbers.quarantine-end');
    const back = (await (await gw.api(`/v1/tracking-numbers/${ids.numbers['+74951110002']}`)).json()) as {
      status: string;
      quarantinedUntil: string | null;
    };
    expect(back).to.include({ status: 'active', quarantinedUntil: null });
    expect((await start({})).swaps[0]!.to).to.equal('+74951110002');
  });

  it("never lets one account read or change another's channels, pools or numbers", async () => {
    const k = { key: otherKey };
    expect(((await (await gw.api('/v1/pools', k)).json()) as { items: unknown[] }).items).to.deep.equal([]);
    expect(((await (await gw.api('/v1/tracking-numbers', k)).json()) as { items: unknown[] }).items).to.deep.equal([]);
    expect((await gw.api(`/v1/pools/${ids.session}`, k)).status).to.equal(404);
    expect((await gw.api(`/v1/pools/${ids.session}/health`, k)).status).to.equal(404);
    expect((await gw.api(`/v1/channels/${ids.channel}`, { ...k, method: 'PATCH', json: { name: 'x' } })).status).to.equal(404);
    expect((await gw.api(`/v1/tracking-numbers/${ids.numbers['+74951110009']}`, { ...k, method: 'DELETE' })).status).to.equal(404);
    const steal = await gw.api('/v1/tracking-numbers', {
      ...k,
      method: 'POST',
      json: { e164: '+74951119999', provider: 'asterisk', poolId: ids.session },
    });
    expect(steal.status).to.equal(404);
    expect((await gw.api('/v1/channels', { ...k, method: 'POST', json: { siteId: ids.site, name: 'x', kind: 'custom' } })).status).to.equal(404);
  });
}

describe('number pools API and the widget session route (SQL lease store)', () => poolsAndDni('sql'));
describe('number pools API and the widget session route (Redis lease store)', () => poolsAndDni('redis'));
