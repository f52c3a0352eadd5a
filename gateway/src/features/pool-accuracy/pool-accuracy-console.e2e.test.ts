import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../test/helpers/browser.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { requireChromium } from '../../../test/helpers/test-env.js';
import type { Principal } from '../../http/principal.js';
import { newId } from '../../shared/ids.js';
import { matchCall } from '../attribution/attribution-matcher.js';
import type { AttributionEvidence } from '../attribution/attribution-types.js';

const SHOTS = fileURLToPath(new URL('../../../../screenshots/console/', import.meta.url));
const PASSWORD = 'correct horse battery';
const SIZES = { desktop: { width: 1366, height: 900 }, phone: { width: 390, height: 844 } } as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const COLS = [
  'calls',
  'matchedUniquely',
  'ambiguous',
  'byTelClick',
  'byCallerHistory',
  'unattributed',
  'blockedVisits',
  'correctLowerBound',
] as const;
const SHARED = new Set(['calls', 'blockedVisits']);

type Counts = Record<(typeof COLS)[number], number>;
interface Report {
  days: (Counts & { date: string })[];
  totals: Counts & { correctLowerBoundShare: number } & Partial<Record<string, number>>;
}
interface Health {
  live: { size: number };
  recommendation: { recommendedSize: number; accuracyTarget: number };
}

// The accuracy card on the numbers screen shows what GET /v1/reports/pool-accuracy answers for the last 14 site days,
// next to the pool's target and recommended size, in both languages and at both widths; a pool without calls says so.
describe('pool accuracy in the console (Chromium)', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let browser: Browser;
  let web: { id: string };
  let accountId: string;
  let siteId: string;
  let numberId: string;
  const E164 = '+74951110051';

  const post = async <T>(p: string, json: unknown): Promise<T> => {
    const res = await gw.api(p, { method: 'POST', json });
    expect(res.status, `${p}: ${await res.clone().text()}`).to.equal(201);
    return (await res.json()) as T;
  };
  const getJson = async <T>(p: string): Promise<T> => {
    const res = await gw.api(p);
    expect(res.status, `${p}: ${await res.clone().text()}`).to.equal(200);
    return (await res.json()) as T;
  };

  /** A call as the gateway stores it: the attribution is the real matcher's answer to the evidence. */
  async function aCall(at: Date, o: Partial<AttributionEvidence>) {
    const m = matchCall({
      at,
      poolKind: 'session',
      numberChannelId: null,
      live: null,
      leases: [],
      telClicks: [],
      callerHistory: null,
      sessionChannels: new Map(),
      ...o,
    });
    await t.db.knex('calls').insert({
      id: newId(),
      account_id: accountId,
      site_id: siteId,
      provider: 'asterisk',
      provider_call_id: `c-${randomBytes(4).toString('hex')}`,
      tracking_number_id: numberId,
      tracking_e164: E164,
      caller: '+79990000000',
      status: 'ended',
      started_at: at,
      session_id: m.sessionId,
      visitor_id: m.visitorId,
      attribution: JSON.stringify({ ...m, assignedAt: at.toISOString() }),
    });
  }
  const lease = (sessionId: string, from: number, to: number | null) => ({
    sessionId,
    visitorId: `v-${sessionId}`,
    leasedAt: new Date(from),
    releasedAt: to === null ? null : new Date(to),
    reclaimed: false,
  });

  before(async function () {
    requireChromium(this);
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway(t.db);
    const site = await post<{ id: string }>('/v1/sites', {
      name: 'Moscow shop',
      publicKey: `msk-${randomBytes(4).toString('hex')}`,
      domains: ['msk.example'],
      canonicalNumbers: ['+74951234567', '+74951234568'],
      timezone: 'Europe/Moscow',
    });
    siteId = site.id;
    web = await post('/v1/pools', { siteId, name: 'Web', kind: 'session', canonicalNumber: '+74951234567' });
    const quiet = await post<{ id: string }>('/v1/pools', { siteId, name: 'Quiet', kind: 'session', canonicalNumber: '+74951234568' });
    numberId = (await post<{ id: string }>('/v1/tracking-numbers', { e164: E164, provider: 'asterisk', poolId: web.id, forwardTo: '+74950000000' }))
      .id;
    await post('/v1/tracking-numbers', { e164: '+74951110052', provider: 'asterisk', poolId: quiet.id, forwardTo: '+74950000000' });
    accountId = gw.accountId;

    // Noon in Moscow (09:00 UTC, no daylight saving) n days ago: one site day each, inside the default 14 days.
    const noon = (n: number) => Date.parse(`${new Date().toISOString().slice(0, 10)}T09:00:00Z`) - n * DAY;
    const d1 = noon(1);
    const d3 = noon(3);
    const d5 = noon(5);
    await aCall(new Date(d1), { leases: [lease('s1', d1 - 10 * 60_000, null)] });
    // The holder tapped the number just before: certainly right.
    await aCall(new Date(d1 + HOUR), {
      leases: [lease('s2', d1 + HOUR - 10 * 60_000, null)],
      telClicks: [{ sessionId: 's2', visitorId: 'v-s2', clickedAt: new Date(d1 + HOUR - 30_000) }],
    });
    // Caller history (its visitor held the number before) and a lapsed holder both strong: ambiguous.
    await aCall(new Date(d3), {
      leases: [lease('s3', d3 - HOUR, d3 - 10 * 60_000)],
      callerHistory: { visitorId: 'v9', sessionId: 's9', heldNumber: true },
    });
    await aCall(new Date(d3 + HOUR), {});
    // A tap by the previous holder beats the new holder.
    await aCall(new Date(d5), {
      live: {
        leaseId: 'l',
        sessionId: 's5',
        visitorId: 'v-s5',
        poolId: web.id,
        leasedAt: new Date(d5 - 30_000),
        lastSeenAt: new Date(d5 - 30_000),
        reclaimed: false,
      },
      leases: [lease('s4', d5 - 20 * 60_000, d5 - 60_000)],
      telClicks: [{ sessionId: 's4', visitorId: 'v-s4', clickedAt: new Date(d5 - 70_000) }],
    });
    const sample = (poolId: string, at: number, blocked: number) => ({
      id: newId(),
      account_id: accountId,
      pool_id: poolId,
      at: new Date(at),
      size: 1,
      in_use: 1,
      leases: 3,
      blocked,
      reclaims: 0,
    });
    await t.db.knex('pool_health_samples').insert([sample(web.id, d3, 2), sample(web.id, noon(8), 4), sample(quiet.id, d1, 3)]);
    const owner: Principal = { accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' };
    await gw.container.services.users.create(owner, { email: 'admin@example.com', role: 'admin', password: PASSWORD });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function openNumbers(lang: 'en' | 'ru', size: keyof typeof SIZES) {
    const ctx = await browser.newContext({ viewport: SIZES[size], locale: lang === 'ru' ? 'ru-RU' : 'en-US' });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${gw.baseUrl}/console/`);
    await page.fill('input[name=email]', 'admin@example.com');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#nav', { state: 'attached' });
    await page.goto(`${gw.baseUrl}/console/#/numbers`);
    await page.waitForSelector('.accuracy-table tbody tr');
    return { ctx, page, problems };
  }
  const card = (page: Page, name: string) => page.locator('section.pool-accuracy').filter({ has: page.locator('h2', { hasText: `: ${name}` }) });
  const cellTexts = (page: Page, selector: string) =>
    page.$$eval(selector, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent?.trim() ?? '')));

  for (const lang of ['en', 'ru'] as const)
    for (const size of ['desktop', 'phone'] as const)
      it(`shows the API's figures, target and recommended size (${lang}, ${size})`, async () => {
        const report = await getJson<Report>(`/v1/reports/pool-accuracy?poolId=${web.id}`);
        const health = await getJson<Health>(`/v1/pools/${web.id}/health?hours=24`);
        expect(report.totals.calls, 'the seeded calls are in the default range').to.equal(5);
        const { ctx, page, problems } = await openNumbers(lang, size);
        const pct = (n: number) =>
          page.evaluate(([v, l]) => new Intl.NumberFormat(l, { style: 'percent', maximumFractionDigits: 1 }).format(v), [n, lang] as const);
        const shown = report.days.filter((d) => d.calls || d.blockedVisits);
        expect(shown.length, 'days with calls or blocked visits').to.equal(4);
        expect(report.totals, 'tel: clicks prove two matches').to.include({ correctLowerBound: 2, telClickChecked: 2, ambiguous: 2 });
        const rows = await cellTexts(page, '.accuracy-table tbody tr');
        const dates = await page.$$eval('.accuracy-table tbody tr td:first-child', (c) => c.map((x) => x.textContent?.trim()));
        const wantDates = await page.evaluate(
          ([ds, l]) => ds.map((d) => new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${d}T00:00:00Z`))),
          [shown.map((d) => d.date), lang] as const,
        );
        expect(dates).to.deep.equal(wantDates);
        expect(rows.map((r) => r.slice(1).map(Number))).to.deep.equal(shown.map((d) => COLS.map((k) => d[k])));
        const [totals = [], shares = []] = await cellTexts(page, '.accuracy-table tfoot tr');
        expect(totals.map(Number)).to.deep.equal(COLS.map((k) => report.totals[k]));
        const wantShares: string[] = [];
        for (const k of COLS) wantShares.push(SHARED.has(k) ? '—' : await pct(report.totals[`${k}Share`] ?? report.totals[k] / report.totals.calls));
        expect(shares).to.deep.equal(wantShares);
        const web_ = card(page, 'Web');
        const fact = (k: string) => web_.locator(`[data-fact="${k}"]`).textContent();
        expect(await fact('accuracy.target')).to.equal(await pct(health.recommendation.accuracyTarget));
        expect(Number(await fact('pools.recommended'))).to.equal(health.recommendation.recommendedSize);
        expect(Number(await fact('accuracy.size'))).to.equal(health.live.size);
        expect(await fact('accuracy.lowerBound')).to.equal(await pct(report.totals.correctLowerBoundShare));
        expect(await web_.locator('figure.chart canvas').count(), 'the chart is drawn').to.be.greaterThan(0);
        // 40 % certainly right is below 99 %: the verdict rests on the size, and says which.
        const short = health.live.size < health.recommendation.recommendedSize;
        expect(await web_.locator(short ? '.alert-warn' : '.alert-ok').count()).to.equal(1);
        const quiet = (await card(page, 'Quiet').textContent()) ?? '';
        expect(quiet).to.include(lang === 'ru' ? 'За этот период звонков на номера пула нет' : 'No calls on this pool in this period');
        expect(quiet).to.include(lang === 'ru' ? '3 посетителя получили запасной номер' : '3 visits got the fallback number');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, 'horizontal overflow').to.be.at.most(0);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(SHOTS, `pool-accuracy-${lang}-${size}.png`), fullPage: true });
        expect(problems).to.deep.equal([]);
        await ctx.close();
      });

  it('asks the API again for another range and shows its empty answer honestly', async () => {
    const { ctx, page, problems } = await openNumbers('en', 'desktop');
    const web_ = card(page, 'Web');
    const day = (ago: number) => new Date(Date.now() - ago * DAY).toISOString().slice(0, 10);
    await web_.locator('input[name=from]').fill(day(60));
    await web_.locator('input[name=to]').fill(day(50));
    await web_.getByText('No calls on this pool in this period').waitFor();
    expect(await web_.locator('.accuracy-table').count()).to.equal(0);
    // Back to a range with the calls of the last days but not the blocked visits of eight days ago.
    const report = await getJson<Report>(`/v1/reports/pool-accuracy?poolId=${web.id}&from=${day(6)}&to=${day(-1)}`);
    expect(report.totals).to.include({ calls: 5, blockedVisits: 2 });
    await web_.locator('input[name=to]').fill(day(0));
    await web_.locator('input[name=from]').fill(day(6));
    const want = COLS.map((k) => String(report.totals[k]));
    await page.waitForFunction(
      (w) => [...document.querySelectorAll('.accuracy-table tfoot tr:first-child td')].map((c) => c.textContent?.trim()).join('|') === w.join('|'),
      want,
    );
    expect(problems).to.deep.equal([]);
    await ctx.close();
  });
});
