// End to end: Chromium loads a customer page from one loopback port and the widget from the real gateway on another
// (`/dni.js`, the session API, the demo site as seeded). Browser-only behaviour (formats, SPAs, storage, consent,
// failures) is covered against the stand-in in widget.e2e.test.ts; this file checks the two sides agree.
import { execFileSync } from 'node:child_process';
import { launchChromium } from '../../gateway/test/helpers/browser.js';
import { requireChromium } from '../../gateway/test/helpers/test-env.js';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { BrowserContext, chromium, Page } from 'playwright-core';
import { useTestDatabase } from '../../gateway/test/helpers/db.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers/gateway.js';
import { seedDemo } from '../../gateway/src/demo/demo-seed.js';

const WIDGET = new URL('../dist/dni.js', import.meta.url);
const FIXTURES = new URL('./fixtures/', import.meta.url);
const HUMAN_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const AS_HUMAN = "Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true });";
const POOL_US = ['(415) 555-0101', '(415) 555-0102', '(415) 555-0103', '(415) 555-0104', '(415) 555-0105'];
const POOL_RU = ['1', '2', '3', '4', '5'].map((d) => `+7 (495) 123-45-6${d}`);

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 800; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dni widget against the gateway', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let site: Server;
  let siteOrigin: string;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let context: BrowserContext | undefined;
  let errors: string[] = [];

  before(async function () {
    requireChromium(this);
    // The gateway reads dni-widget/dist/dni.js when it starts: build it from the current source first.
    execFileSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))]);
    expect(existsSync(WIDGET), 'widget built').to.equal(true);
    gw = await startTestGateway(t.db);
    await seedDemo(t.db.knex);
    await gw.container.services.leases.syncAll();
    site = createServer((req, res) => {
      const name = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/fixtures\//, '');
      if (!/^[a-z-]+\.html$/.test(name)) return void res.writeHead(404).end();
      const html = readFileSync(new URL(name, FIXTURES), 'utf8').replaceAll('{{GATEWAY}}', gw.baseUrl);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (site ? site.close(() => r()) : r()));
    await gw?.stop();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    expect(errors, 'errors thrown in the page').to.deep.equal([]);
  });

  async function open(url: string, ua = HUMAN_UA): Promise<Page> {
    context = await browser.newContext({ userAgent: ua });
    await context.addInitScript(AS_HUMAN);
    const page = await context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await until('widget init', () => page.evaluate(() => typeof window.dni === 'function' && !('q' in window.dni)));
    await page.mouse.move(5, 5);
    await page.mouse.move(40, 40);
    return page;
  }
  const text = (page: Page, sel: string) => page.locator(sel).first().textContent();
  const sessions = () => t.db.knex('web_sessions').orderBy('first_seen_at', 'desc') as Promise<Record<string, unknown>[]>;

  it("gives a Google Ads click the channel's static numbers", async () => {
    const page = await open(`${siteOrigin}/fixtures/main.html?gclid=e2e-click`);
    await until('static swap', async () => (await text(page, '#us-tel')) === '(415) 555-0110');
    expect(await text(page, '#ru-tel')).to.equal('+7 (495) 123-45-70');
    expect(await page.locator('#us-tel').getAttribute('href')).to.equal('tel:+14155550110');
    const [s] = await sessions();
    expect(s).to.include({ source: 'google', medium: 'cpc', leased: false, landing_url: `${siteOrigin}/fixtures/main.html?gclid=e2e-click` });
  });

  it('gives an organic visit pool numbers for both canonical numbers, touches nothing else, and records its tel: click', async () => {
    const page = await open(`${siteOrigin}/fixtures/main.html`);
    await until('pool swap', async () => POOL_US.includes((await text(page, '#us-tel')) ?? ''));
    expect(POOL_RU).to.include(await text(page, '#ru-tel'));
    expect(await text(page, '#other')).to.equal('Fax: +7 (495) 123-45-68, order 4155550100123, support (415) 555-0199.');
    expect(await page.locator('#ta').inputValue()).to.equal('+7 (495) 123-45-67');
    expect(await page.locator('#in').inputValue()).to.equal('(415) 555-0100');
    expect(await page.locator('script[type="application/ld+json"]').textContent()).to.include('"telephone":"+74951234567"');
    const [s] = await sessions();
    expect(s).to.include({ source: '(direct)', leased: true, is_bot: false, consent: 'not_required' });

    const shown = (await page.locator('#us-tel').getAttribute('href'))?.slice('tel:'.length);
    await page.evaluate(() => document.addEventListener('click', (e) => e.preventDefault()));
    await page.click('#us-tel');
    const click = await until('tel_clicks row', async () => {
      await gw.container.services.visitRecorder.flush();
      return (await t.db.knex('tel_clicks').where({ session_id: s?.['id'] }).first()) as { e164: string } | undefined;
    });
    expect(click?.e164).to.equal(shown);

    // Page two: leave was sent on pagehide; the stored session heartbeats and gets its numbers back.
    const beat = page.waitForResponse((r) => r.url().endsWith('/heartbeat'));
    await page.goto(`${siteOrigin}/fixtures/paint.html`);
    expect((await beat).status()).to.equal(200);
    expect(await page.locator('#t').getAttribute('href')).to.equal(`tel:${shown}`);
    expect(
      (await sessions()).filter((r) => r['visitor_id'] === s?.['visitor_id']),
      'still one session',
    ).to.have.length(1);
  });

  it("sends the page's analytics cookies, and the gateway keeps the Metrica ClientID and the GA4 client id on the session", async () => {
    context = await browser.newContext({ userAgent: HUMAN_UA });
    await context.addInitScript(AS_HUMAN);
    await context.addCookies([
      { name: '_ga', value: 'GA1.1.1234567890.1700000000', url: siteOrigin },
      { name: '_ga_X1Y2Z3', value: 'GS1.1.1700000000.1.0.1700000000.0.0.0', url: siteOrigin },
      { name: '_ym_uid', value: '1700000000123456789', url: siteOrigin },
    ]);
    const page = await context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const started = page.waitForRequest((r) => r.url().endsWith('/v1/dni/sessions') && r.method() === 'POST');
    await page.goto(`${siteOrigin}/fixtures/main.html?utm_source=newsletter&utm_medium=email&cookies=1`);
    await page.mouse.move(5, 5);
    await page.mouse.move(40, 40);
    const sent = JSON.parse((await started).postData() ?? '{}') as { clientIds?: Record<string, string> };
    expect(sent.clientIds).to.deep.equal({ ym: '1700000000123456789', ga: 'GA1.1.1234567890.1700000000' });
    const s = await until('the session with its client ids', async () => {
      await gw.container.services.visitRecorder.flush();
      return (await sessions()).find((r) => String(r['landing_url']).endsWith('cookies=1'));
    });
    // The GA4 client id is the last two dot-parts of _ga.
    expect(s?.['client_ids']).to.deep.equal({ ym: '1700000000123456789', ga: '1234567890.1700000000' });
  });

  it('gives a crawler no pool number even when its user agent gets past the widget', async () => {
    // The widget's own check does not know this one; the gateway's does.
    const page = await open(`${siteOrigin}/fixtures/main.html?bot=1`, 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)');
    const s = await until('bot session', async () => (await sessions()).find((r) => String(r['landing_url']).endsWith('?bot=1')));
    expect(s).to.include({ is_bot: true, leased: false });
    expect(await text(page, '#us-tel')).to.equal('(415) 555-0100');
    expect(await text(page, '#ru-tel')).to.equal('+7 (495) 123-45-67');
  });

  it('stores nothing before the page grants consent, then records the visit under fresh ids', async () => {
    context = await browser.newContext({ userAgent: HUMAN_UA });
    await context.addInitScript(AS_HUMAN);
    const page = await context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `${siteOrigin}/fixtures/consent.html?consent-e2e=1`;
    await page.goto(url);
    await until('widget init', () => page.evaluate(() => typeof window.dni === 'function' && !('q' in window.dni)));
    const first = page.waitForResponse((r) => r.url().endsWith('/v1/dni/sessions'));
    await page.mouse.move(5, 5);
    await page.mouse.move(40, 40);
    const answer = (await (await first).json()) as { session: string; swaps: unknown[] };
    expect(answer.swaps, 'an organic visit without consent keeps the page numbers').to.deep.equal([]);
    const mine = async () => (await sessions()).filter((r) => r['landing_url'] === url);
    expect(await mine()).to.have.length(0);

    await page.evaluate(() => window.dni?.('consent', true));
    await until('pool swap', async () => POOL_US.includes((await text(page, '#n')) ?? ''));
    const rows = await mine();
    expect(rows).to.have.length(1);
    expect(rows[0]?.['id']).to.not.equal(answer.session);
    expect(rows[0]).to.include({ leased: true, consent: 'not_required' });
  });

  it("swaps the gateway's own /demo page", async () => {
    const page = await open(`${gw.baseUrl}/demo`);
    await until('demo swap', async () => POOL_US.includes((await text(page, 'a[href^="tel:+1"]')) ?? ''));
    expect(POOL_RU).to.include(await text(page, 'a[href^="tel:+7"]'));
  });
});
