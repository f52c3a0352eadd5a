// Chromium loads pages printing UK, German, French, Belarus and Kazakhstan numbers in their national formats (split
// across elements and in tel: links) and the widget from the real gateway: the gateway's digit forms are all the
// widget needs to find them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { BrowserContext, chromium, Page } from 'playwright-core';
import { launchChromium } from '../../gateway/test/helpers/browser.js';
import { useTestDatabase } from '../../gateway/test/helpers/db.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers/gateway.js';
import { requireChromium } from '../../gateway/test/helpers/test-env.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const HUMAN_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const AS_HUMAN = "Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true });";

/** Canonical number → the one tracking number of its pool. */
const NUMBERS: Record<string, string> = {
  '+442079460000': '+442079460123',
  '+493012345678': '+493012345699',
  '+33123456789': '+33123456700',
  '+375291234567': '+375291234500',
  '+77172123456': '+77172123400',
};

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('dni widget on pages in other countries’ formats', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let site: Server;
  let siteOrigin: string;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let context: BrowserContext | undefined;

  before(async function () {
    requireChromium(this);
    execFileSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))]);
    gw = await startTestGateway(t.db);
    const made = await gw.api('/v1/sites', {
      method: 'POST',
      json: { name: 'Five countries', publicKey: 'intl', domains: ['127.0.0.1:*'], canonicalNumbers: Object.keys(NUMBERS) },
    });
    expect(made.status).to.equal(201);
    const { id: siteId } = (await made.json()) as { id: string };
    for (const [canonical, tracking] of Object.entries(NUMBERS)) {
      const pool = await gw.api('/v1/pools', { method: 'POST', json: { siteId, name: canonical, kind: 'session', canonicalNumber: canonical } });
      expect(pool.status).to.equal(201);
      const { id: poolId } = (await pool.json()) as { id: string };
      const n = await gw.api('/v1/tracking-numbers', { method: 'POST', json: { e164: tracking, provider: 'asterisk', poolId } });
      expect(n.status).to.equal(201);
    }
    await gw.container.services.leases.syncAll();
    site = createServer((req, res) => {
      const name = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/fixtures\//, '');
      if (name !== 'intl.html') return void res.writeHead(404).end();
      const html = readFileSync(new URL(name, FIXTURES), 'utf8').replaceAll('{{GATEWAY}}', gw.baseUrl);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await new Promise<void>((r) => (site ? site.close(() => r()) : r()));
    await gw?.stop();
  });

  it('swaps national formats, split numbers and tel: links of five countries, keeping each page format', async () => {
    context = await browser.newContext({ userAgent: HUMAN_UA });
    await context.addInitScript(AS_HUMAN);
    const page: Page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${siteOrigin}/fixtures/intl.html`);
    await page.mouse.move(5, 5);
    await page.mouse.move(40, 40);
    const text = (sel: string) => page.locator(sel).first().textContent();
    const href = (sel: string) => page.locator(sel).first().getAttribute('href');
    await until('the swap', async () => (await text('#uk-tel')) === '020 7946 0123');

    expect(await text('#uk-split')).to.equal('020 7946 0123');
    expect(await page.locator('#uk-split b').textContent(), 'the page markup stays').to.equal('7946');
    expect(await text('#uk-intl')).to.equal('From abroad: +44 (0)20 7946 0123');
    expect(await href('#uk-tel')).to.equal('tel:+442079460123');
    expect(await text('#de-tel')).to.equal('030\u00a012345699');
    expect(await href('#de-tel')).to.equal('tel:+493012345699');
    expect(await text('#de')).to.equal('Zentrale 030-12 34 56 99');
    expect(await text('#fr')).to.equal('01 23 45 67 00');
    expect(await text('#fr-tel')).to.equal('+33 1 23 45 67 00');
    expect(await href('#fr-tel')).to.equal('tel:+33123456700');
    expect(await text('#by')).to.equal('8 029 123-45-00');
    expect(await text('#by-tel')).to.equal('8 029 123-45-00');
    expect(await href('#by-tel')).to.equal('tel:+375291234500');
    expect(await text('#kz')).to.equal('8 (7172) 12 34 00');
    expect(await text('#kz-tel')).to.equal('+7 7172 12 34 00');
    expect(await href('#kz-tel')).to.equal('tel:+77172123400');
    expect(await text('#other'), 'other numbers stay').to.equal('Fax 030 12345679, 020 7946 0001, 8 029 123-45-68.');
    expect(errors).to.deep.equal([]);
  });
});
