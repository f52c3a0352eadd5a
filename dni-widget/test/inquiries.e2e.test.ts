// The optional inquiries module in Chromium against the real gateway: forms on a plain page and in an SPA are
// reported with the visit, a honeypot hit stores nothing, and passwords, card numbers and hidden fields never leave
// the page (checked on the wire, not only in the database).
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

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Row {
  id: string;
  phone: string | null;
  email: string | null;
  name: string | null;
  message: string | null;
  subject: string | null;
  fields: Record<string, string>;
  session_id: string | null;
  page_url: string | null;
}

describe('inquiries module in Chromium', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let site: Server;
  let siteOrigin: string;
  let siteKey: string;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let context: BrowserContext | undefined;
  let errors: string[] = [];
  let sent: string[] = [];

  before(async function () {
    requireChromium(this);
    execFileSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))]);
    gw = await startTestGateway(t.db);
    const res = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', domains: ['127.0.0.1:*'], settings: { country: 'RU' } } });
    expect(res.status).to.equal(201);
    const s = (await res.json()) as { id: string; publicKey: string };
    siteKey = s.publicKey;
    const patch = await gw.api(`/v1/sites/${s.id}/inquiry-settings`, {
      method: 'PATCH',
      json: {
        forms: { enabled: true, selectors: ['.quote-form'] },
        email: { enabled: true, canonical: 'hello@shop.example', domain: 'track.example' },
      },
    });
    expect(patch.status).to.equal(200);
    site = createServer((req, res) => {
      const name = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/fixtures\//, '');
      const file = /^[a-z-]+\.html$/.test(name) ? name : 'forms-spa.html';
      const html = readFileSync(new URL(file, FIXTURES), 'utf8').replaceAll('{{GATEWAY}}', gw.baseUrl).replaceAll('{{SITE}}', siteKey);
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

  async function open(path: string): Promise<Page> {
    context = await browser.newContext({ userAgent: HUMAN_UA });
    await context.addInitScript(AS_HUMAN);
    const page = await context.newPage();
    errors = [];
    sent = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (r.url().endsWith('/inquiries') && r.method() === 'POST') sent.push(r.postData() ?? '');
    });
    await page.goto(`${siteOrigin}${path}`);
    // The core widget's visit, then the module's config (it waits for the visit).
    await until('the visit', () => page.evaluate((k) => localStorage.getItem(`dni:${k}`), siteKey));
    return page;
  }
  const sessionOf = (page: Page) =>
    page.evaluate((k) => (JSON.parse(localStorage.getItem(`dni:${k}`) ?? '{}') as { sessionId?: string }).sessionId ?? null, siteKey);
  const newest = async (n: number): Promise<Row[]> =>
    until(`${n} stored inquiries`, async () => {
      const rows = (await t.db.knex('inquiries').orderBy('received_at', 'desc')) as Row[];
      return rows.length >= n ? rows : null;
    });

  it('reports a plain page form with its visit, never reading the password, the card number or hidden fields', async () => {
    const page = await open('/fixtures/forms-plain.html');
    await page.waitForTimeout(3200); // past no minimum, but a human-like pause keeps secondsOnPage realistic
    await page.fill('[name=your-name]', 'Анна');
    await page.fill('[name=your-phone]', '8 (916) 123-45-67');
    await page.fill('[name=your-email]', 'anna@example.com');
    await page.fill('[name=company]', 'ACME');
    await page.fill('[name=account]', 'hunter2-very-secret');
    await page.fill('[name=card_number]', '4111111111111111');
    await page.fill('[name=your-message]', 'Нужен диван');
    await Promise.all([page.waitForURL(/thanks/), page.click('#contact button')]);
    const [row] = await newest(1);
    expect(row).to.include({ phone: '+79161234567', email: 'anna@example.com', name: 'Анна', message: 'Нужен диван', subject: 'Contact us' });
    expect(row!.fields).to.deep.equal({ company: 'ACME' });
    expect(row!.session_id)
      .to.be.a('string')
      .and.equal(await sessionOf(page).catch(() => row!.session_id));
    expect(row!.page_url).to.match(/forms-plain\.html$/);
    expect(sent).to.have.length(1);
    for (const secret of ['hunter2-very-secret', '4111111111111111', 'secret-csrf-value']) {
      expect(sent[0], 'never on the wire').to.not.include(secret);
      expect(JSON.stringify(row), 'never stored').to.not.include(secret);
    }
  });

  it('ignores a form that is neither marked data-dni-form nor matched by a site selector', async () => {
    const page = await open('/fixtures/forms-plain.html');
    const before = Number(((await t.db.knex('inquiries').count('* as n').first()) as { n: unknown }).n);
    await page.fill('[name=q]', 'sofa');
    await Promise.all([page.waitForURL(/thanks/), page.click('#search button')]);
    await page.waitForTimeout(300);
    expect(sent, 'a search form is not an inquiry').to.have.length(0);
    expect(Number(((await t.db.knex('inquiries').count('* as n').first()) as { n: unknown }).n)).to.equal(before);
  });

  it('shows the visit its channel’s alias instead of the canonical address, in text and in the mailto: link', async () => {
    const page = await open('/fixtures/forms-plain.html');
    const link = await until('the swapped link', async () => {
      const href = await page.getAttribute('#mail', 'href');
      return href && !href.includes('hello@shop.example') ? href : null;
    });
    const alias = ((await t.db.knex('email_aliases').first('address')) as { address: string }).address;
    expect(link).to.equal(`mailto:${alias}?subject=Hi`);
    expect(await page.textContent('#mail')).to.equal(alias);
    expect(await page.textContent('body')).to.not.include('hello@shop.example');
  });

  it('drops a submission whose honeypot was filled, storing nothing', async () => {
    const page = await open('/fixtures/forms-plain.html');
    const before = Number(((await t.db.knex('inquiries').count('* as n').first()) as { n: unknown }).n);
    await page.fill('[name=your-phone]', '+79160000001');
    await page.evaluate(() => {
      (document.querySelector('[name=dni_hp]') as HTMLInputElement).value = 'http://spam.example';
    });
    await Promise.all([page.waitForURL(/thanks/), page.click('#contact button')]);
    await until('the spam request', () => sent.length === 1);
    await page.waitForTimeout(500);
    expect(Number(((await t.db.knex('inquiries').count('* as n').first()) as { n: unknown }).n)).to.equal(before);
  });

  it('reports a form an SPA renders after a route change and sends by fetch, by the site selector', async () => {
    const page = await open('/');
    await page.click('#go');
    await page.fill('.quote-form [name=fio]', 'Boris');
    await page.fill('.quote-form [name=phone]', '+7 916 765-43-21');
    await page.click('.quote-form button');
    await until('the SPA shows Sent', () => page.textContent('#app').then((x) => x === 'Sent'));
    const rows = await until('the SPA inquiry', async () => ((await t.db.knex('inquiries').where({ phone: '+79167654321' })) as Row[])[0]);
    expect(rows).to.include({ name: 'Boris', session_id: await sessionOf(page) });
    expect(rows.fields).to.deep.equal({ product: 'Armchair', agree: 'yes' });
    expect(rows.page_url).to.equal(`${siteOrigin}/quote`);
  });
});
