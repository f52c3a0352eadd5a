import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { testEnv } from '../../../test/helpers/test-env.js';
import { seedDemo } from '../../demo/demo-seed.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SITE = 'http://localhost:8080';
const POOL_US = ['+14155550101', '+14155550102', '+14155550103', '+14155550104', '+14155550105'];

interface Session {
  session: string;
  visitor: string;
  channel: { name: string } | null;
  swaps: { from: string; to: string; display: string; fromForms?: string[]; toForms?: string[] }[];
  expiresAt: string | null;
  heartbeatSeconds: number;
}

/** The widget's API against the demo site, as the widget calls it; both runtime modes. */
function widgetApi(mode: 'sql' | 'redis'): void {
  const t = useTestDatabase();
  let gw: TestGateway;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SITE, 'user-agent': UA, ...headers },
      body: JSON.stringify(body),
    });
  const start = async (body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Session> => {
    const res = await post('/v1/dni/sessions', { site: 'demo', referrer: '', consent: true, ...body }, headers);
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    return (await res.json()) as Session;
  };
  const flush = () => gw.container.services.visitRecorder.flush();
  const row = async (id: string) => (await t.db.knex('web_sessions').where({ id }).first()) as Record<string, unknown> | undefined;

  before(async function () {
    if (mode === 'redis' && !testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true but TEST_REDIS_URL is not set');
      this.skip();
    }
    const config = createTestConfig(mode === 'redis' ? { redis: { url: testEnv.redisUrl!, keyPrefix: `t${randomBytes(4).toString('hex')}:` } } : {});
    gw = await startTestGateway(t.db, { config });
    await seedDemo(t.db.knex);
    await gw.container.services.leases.syncAll();
  });
  afterEach(async () => {
    await flush();
    expect(gw.container.services.visitRecorder.lost, 'visit rows lost').to.equal(0);
  });
  after(async () => {
    await gw?.stop();
  });

  it("classifies a paid click, answers the channel's static numbers and records the visit", async () => {
    const url = `${SITE}/landing?gclid=abc&utm_campaign=winter`;
    const a = await start({
      url,
      referrer: 'https://www.google.com/',
      device: { w: 390, h: 844, touch: true, lang: 'en-US', dpr: 3 },
      newer: 'ignored',
    });
    expect(a.channel?.name).to.equal('Google Ads');
    expect(a.swaps.map((s) => [s.from, s.to])).to.deep.equal([
      ['+14155550100', '+14155550110'],
      ['+74951234567', '+74951234570'],
    ]);
    // The digit forms pages print, computed by the gateway so the widget carries no numbering metadata.
    expect(a.swaps[1]).to.deep.include({
      display: '+7 495 123 45 70',
      fromForms: ['74951234567', '84951234567', '4951234567'],
      toForms: ['74951234570', '84951234570', '4951234570'],
    });
    expect(a.swaps[0]).to.deep.include({ display: '(415) 555-0110', toForms: ['14155550110', '4155550110', '4155550110'] });
    expect(a.expiresAt).to.equal(null);
    await flush();
    const s = await row(a.session);
    expect(s).to.include({ visitor_id: a.visitor, landing_url: url, referrer: 'https://www.google.com/', source: 'google', medium: 'cpc' });
    expect(s).to.include({ utm_campaign: 'winter', consent: 'not_required', is_bot: false, leased: false });
    expect(s?.['click_ids']).to.deep.equal({ gclid: 'abc' });
    expect(s?.['device']).to.include({ w: 390, h: 844, touch: true, lang: 'en-US', ua: UA });
    expect(s?.['device']).to.not.have.property('dpr');
    expect(s?.['ip_hash']).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(s)).to.not.include('127.0.0.1');
    const v = (await t.db.knex('visitors').where({ id: a.visitor }).first()) as { first_touch: Record<string, unknown> };
    expect(v.first_touch).to.include({ source: 'google', medium: 'cpc', campaign: 'winter', landingUrl: url });

    const hb = await post(`/v1/dni/sessions/${a.session}/heartbeat`, { site: 'demo' });
    expect(hb.status, 'a static-only session is kept').to.equal(200);
    expect(await hb.json()).to.include({ active: false, expiresAt: null });
  });

  it('leases pool numbers for an organic visit, appends pages, keeps the first touch and ends with 410', async () => {
    const a = await start({ url: `${SITE}/`, referrer: 'https://www.bing.com/search?q=plumber' });
    expect(a.channel).to.equal(null);
    expect(POOL_US).to.include(a.swaps[0]!.to);
    expect(a.swaps[1]!.to).to.match(/^\+7495123456[1-5]$/);
    expect(a.expiresAt).to.be.a('string');
    expect(a.heartbeatSeconds).to.equal(60);
    const again = await start({ url: `${SITE}/prices?utm_source=news&utm_medium=email`, session: a.session, visitor: a.visitor });
    expect(
      again.swaps.map((s) => s.to),
      'the session keeps its numbers',
    ).to.deep.equal(a.swaps.map((s) => s.to));
    await flush();
    const s = await row(a.session);
    expect(s).to.include({ source: 'bing', medium: 'organic', leased: true });
    expect(s?.['pages']).to.deep.equal([`${SITE}/`, `${SITE}/prices?utm_source=news&utm_medium=email`]);
    const v = (await t.db.knex('visitors').where({ id: a.visitor }).first()) as { first_touch: Record<string, unknown> };
    expect(v.first_touch, "the site's attributionTouch is 'first'").to.include({ source: 'bing', medium: 'organic', term: 'plumber' });

    const hb = await post(`/v1/dni/sessions/${a.session}/heartbeat`, { site: 'demo' });
    expect(hb.status).to.equal(200);
    expect(hb.headers.get('access-control-allow-origin')).to.equal(SITE);
    expect(((await hb.json()) as { active: boolean }).active).to.equal(true);

    const click = await post(`/v1/dni/sessions/${a.session}/tel-click`, { site: 'demo', number: a.swaps[0]!.to, t: Date.now() });
    expect(click.status).to.equal(204);
    await post(`/v1/dni/sessions/${a.session}/tel-click`, { site: 'demo', number: '+14155550100', t: Date.now() });
    await flush();
    const clicks = (await t.db.knex('tel_clicks').where({ session_id: a.session })) as { e164: string; account_id: string; site_id: string }[];
    expect(
      clicks.map((c) => c.e164),
      'clicks on tracking numbers only',
    ).to.deep.equal([a.swaps[0]!.to]);
    expect(clicks[0]).to.include({ account_id: s?.['account_id'], site_id: s?.['site_id'] });

    // pagehide on a navigation sends leave; the next page heartbeats: its numbers come back if nobody took them.
    expect((await post(`/v1/dni/sessions/${a.session}/leave`, { site: 'demo', t: 1 })).status).to.equal(204);
    const back = await post(`/v1/dni/sessions/${a.session}/heartbeat`, { site: 'demo' });
    expect(back.status).to.equal(200);
    expect(((await back.json()) as { active: boolean }).active).to.equal(true);
    const holder = (await (await gw.api(`/v1/number-leases/holder?e164=${encodeURIComponent(a.swaps[0]!.to)}`)).json()) as {
      live: { sessionId: string } | null;
    };
    expect(holder.live?.sessionId, 'the same number, held by the same session').to.equal(a.session);

    // Taken by others meanwhile: 410, and nothing is kept.
    await post(`/v1/dni/sessions/${a.session}/leave`, { site: 'demo' });
    const others: Session[] = [];
    for (let i = 0; i < 5; i++) others.push(await start({ url: `${SITE}/` }));
    expect(others.map((o) => o.swaps[0]!.to)).to.include(a.swaps[0]!.to);
    const gone = await post(`/v1/dni/sessions/${a.session}/heartbeat`, { site: 'demo' });
    expect(gone.status, 'the widget starts a new session').to.equal(410);
    expect(gone.headers.get('access-control-allow-origin'), 'the page can read the status').to.equal(SITE);
    for (const o of others) await post(`/v1/dni/sessions/${o.session}/leave`, { site: 'demo' });
    expect((await post('/v1/dni/sessions/unknown-session-1/heartbeat', { site: 'demo' })).status).to.equal(404);
  });

  it('releases numbers only for a session id this gateway minted: guessed or counted ids release nothing', async () => {
    const a = await start({ url: `${SITE}/` });
    const b = await start({ url: `${SITE}/` });
    expect(a.session).to.match(/^[0-9A-Z]{26}[A-Za-z0-9_-]{16}$/);
    // Ids minted in one millisecond share their time part; the next ULID of a's is no session of anybody's.
    const ulidDigits = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const nextDigit = ulidDigits[(ulidDigits.indexOf(a.session[25]!) + 1) % ulidDigits.length]!;
    const counted = `${a.session.slice(0, 25)}${nextDigit}`;
    for (const id of [counted, a.session.slice(0, 26), `${a.session.slice(0, 26)}${'A'.repeat(16)}`, 'aaaaaaaaaaaaaaaa']) {
      const res = await post(`/v1/dni/sessions/${id}/leave`, { site: 'demo' });
      expect(res.status, id).to.equal(404);
    }
    const holder = async (e164: string) =>
      ((await (await gw.api(`/v1/number-leases/holder?e164=${encodeURIComponent(e164)}`)).json()) as { live: { sessionId: string } | null }).live;
    expect((await holder(a.swaps[0]!.to))?.sessionId).to.equal(a.session);
    // A made-up id on start is not taken as a session: a new one is minted.
    const made = await start({ url: `${SITE}/`, session: 'my-own-session-id-123' });
    expect(made.session).not.to.equal('my-own-session-id-123');
    for (const s of [a, b, made]) expect((await post(`/v1/dni/sessions/${s.session}/leave`, { site: 'demo' })).status).to.equal(204);
    expect(await holder(a.swaps[0]!.to)).to.equal(null);
  });

  it('keeps at most 50 pages per session', async () => {
    const a = await start({ url: `${SITE}/p0` });
    for (let i = 1; i < 53; i++) await start({ url: `${SITE}/p${i}`, session: a.session, visitor: a.visitor });
    await post(`/v1/dni/sessions/${a.session}/leave`, { site: 'demo' });
    await flush();
    const pages = (await row(a.session))?.['pages'] as string[];
    expect(pages).to.have.length(50);
    expect(pages[0]).to.equal(`${SITE}/p0`);
    expect(pages[49]).to.equal(`${SITE}/p49`);
  });

  it('keeps the last non-direct source when the site says so', async () => {
    const site = (await t.db.knex('sites').where({ public_key: 'demo' }).first()) as { id: string };
    const patch = await gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { settings: { attributionTouch: 'last_non_direct' } } });
    expect(patch.status, await patch.clone().text()).to.equal(200);
    const a = await start({ url: `${SITE}/?utm_source=news&utm_medium=email` });
    await post(`/v1/dni/sessions/${a.session}/leave`, { site: 'demo' });
    const b = await start({ url: `${SITE}/`, visitor: a.visitor });
    await post(`/v1/dni/sessions/${b.session}/leave`, { site: 'demo' });
    await flush();
    const touch = async () => ((await t.db.knex('visitors').where({ id: a.visitor }).first()) as { first_touch: { source: string } }).first_touch;
    expect((await touch()).source, 'a direct visit does not replace it').to.equal('news');
    const c = await start({ url: `${SITE}/?gclid=z`, visitor: a.visitor });
    await flush();
    expect((await touch()).source).to.equal('google');
    expect(c.visitor).to.equal(a.visitor);
    await gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { settings: { attributionTouch: 'first' } } });
  });

  it('gives bots channel-level numbers only, recorded as bots', async () => {
    const bot = { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' };
    const organic = await start({ url: `${SITE}/` }, bot);
    expect(organic.swaps, 'no pool number: the page keeps its own').to.deep.equal([]);
    const paid = await start({ url: `${SITE}/?utm_source=google&utm_medium=cpc` }, bot);
    expect(paid.swaps.map((s) => s.to)).to.deep.equal(['+14155550110', '+74951234570']);
    await flush();
    expect(await row(organic.session)).to.include({ is_bot: true, leased: false });
  });

  it('stores nothing and leases nothing without consent where the site requires it', async () => {
    const site = (await t.db.knex('sites').where({ public_key: 'demo' }).first()) as { id: string };
    await gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { settings: { consent: 'required' } } });
    try {
      const before = Number(((await t.db.knex('web_sessions').count('* as n').first()) as { n: number }).n);
      const a = await start({ url: `${SITE}/`, consent: false });
      expect(a.swaps).to.deep.equal([]);
      const b = await start({ url: `${SITE}/?gclid=q`, consent: false });
      expect(b.swaps.map((s) => s.to)).to.deep.equal(['+14155550110', '+74951234570']);
      await post(`/v1/dni/sessions/${b.session}/tel-click`, { site: 'demo', number: '+14155550110' });
      await flush();
      expect(Number(((await t.db.knex('web_sessions').count('* as n').first()) as { n: number }).n)).to.equal(before);
      expect(await t.db.knex('tel_clicks').where({ session_id: b.session })).to.have.length(0);
      const granted = await start({ url: `${SITE}/`, consent: true });
      expect(POOL_US).to.include(granted.swaps[0]!.to);
      await post(`/v1/dni/sessions/${granted.session}/leave`, { site: 'demo' });
      await flush();
      expect(await row(granted.session)).to.include({ consent: 'granted' });
    } finally {
      await gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { settings: { consent: 'not_required' } } });
    }
  });

  it("gives one visitor at most the pool's cap of numbers, a heartbeat keeps its holds, and serves others meanwhile", async () => {
    const first = await start({ url: `${SITE}/` });
    const second = await start({ url: `${SITE}/`, visitor: first.visitor });
    expect(POOL_US).to.include(second.swaps[0]!.to);
    const hb = await post(`/v1/dni/sessions/${first.session}/heartbeat`, { site: 'demo' });
    expect(((await hb.json()) as { active: boolean }).active).to.equal(true);
    const third = await start({ url: `${SITE}/`, visitor: first.visitor });
    expect(
      third.swaps.some((s) => POOL_US.includes(s.to)),
      'maxNumbersPerVisitor 2: the third session gets the fallback',
    ).to.equal(false);
    expect(third.expiresAt).to.equal(null);
    const other = await start({ url: `${SITE}/` });
    expect(POOL_US, 'the numbers stay for other people').to.include(other.swaps[0]!.to);
    for (const s of [first, second, third, other]) await post(`/v1/dni/sessions/${s.session}/leave`, { site: 'demo' });
  });

  it("answers CORS for the site's domains only, preflights included", async () => {
    const evil = await post('/v1/dni/sessions', { site: 'demo', url: 'https://evil.example/' }, { origin: 'https://evil.example' });
    expect(evil.status).to.equal(403);
    expect(evil.headers.get('access-control-allow-origin')).to.equal(null);
    expect(((await evil.json()) as { name: string }).name).to.equal('ForbiddenError');
    const ok = await post('/v1/dni/sessions', { site: 'demo', url: 'http://127.0.0.1:5173/' }, { origin: 'http://127.0.0.1:5173' });
    expect(ok.headers.get('access-control-allow-origin')).to.equal('http://127.0.0.1:5173');
    expect(ok.headers.get('vary')).to.match(/Origin/);
    expect(ok.headers.get('access-control-allow-credentials')).to.equal(null);
    await post(`/v1/dni/sessions/${((await ok.json()) as Session).session}/leave`, { site: 'demo' });

    const preflight = (origin: string) =>
      fetch(`${gw.baseUrl}/v1/dni/sessions?site=demo`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const good = await preflight(SITE);
    expect(good.status).to.equal(204);
    expect(good.headers.get('access-control-allow-origin')).to.equal(SITE);
    expect(good.headers.get('access-control-allow-methods')).to.equal('POST');
    const bad = await preflight('https://evil.example');
    expect(bad.status).to.equal(403);
    expect(bad.headers.get('access-control-allow-origin')).to.equal(null);
  });
}

describe('DNI widget API (SQL lease store)', () => widgetApi('sql'));
describe('DNI widget API (Redis lease store)', () => widgetApi('redis'));

describe('DNI widget API rate limit', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db, { config: createTestConfig({ dniSessionsPerMinute: 3 }) });
    await seedDemo(t.db.knex);
  });
  after(async () => {
    await gw?.stop();
  });

  it('answers 429 to an address starting sessions too fast', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw.baseUrl}/v1/dni/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': UA },
        body: JSON.stringify({ site: 'demo', url: 'http://localhost/?gclid=x', consent: true }),
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).to.deep.equal([200, 200, 200, 429]);
  });
});
