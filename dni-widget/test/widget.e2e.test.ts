// Browser tests: Debian's Chromium (playwright-core) loads HTML fixtures from one loopback port with the built widget
// and the session API served from another (the stand-in gateway), as on a customer site. The stand-in makes the
// browser-only behaviour deterministic (numbers, expiry, failures); widget-gateway.e2e.test.ts runs the widget against
// the real gateway.
import { execFileSync } from 'node:child_process';
import { launchChromium } from '../../gateway/test/helpers/browser.js';
import { requireChromium } from '../../gateway/test/helpers/test-env.js';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { BrowserContext, BrowserContextOptions, chromium, Page } from 'playwright-core';
import { type StandIn, startStandIn } from './helpers/stand-in-gateway.js';

const WIDGET = new URL('../dist/dni.js', import.meta.url);
const FIXTURES = new URL('./fixtures/', import.meta.url);
const HUMAN_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
// Automation sets navigator.webdriver; a visitor's browser does not. Tests that play a visitor undo it before any script.
const AS_HUMAN = "Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true });";
// Page-side log of the widget's network calls, so "no request" is checked without waiting on the network.
const LOG_CALLS = `
  window.calls_ = [];
  const f = window.fetch; window.fetch = function (u, o) { window.calls_.push(['fetch', String(u), o && o.body]); return f.apply(this, arguments); };
  const b = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = function (u, d) { window.calls_.push(['beacon', String(u), d]); return b(u, d); };
`;

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 500; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dni widget in Chromium', function () {
  this.timeout(60_000);
  let standIn: StandIn;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let context: BrowserContext;
  let errors: string[] = [];

  before(async function () {
    requireChromium(this);
    execFileSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))]);
    standIn = await startStandIn(WIDGET, FIXTURES);
    // launch() runs Chromium on a fresh temporary profile of its own.
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await standIn?.close();
  });
  afterEach(async () => {
    await context?.close();
    expect(errors, 'errors thrown in the page').to.deep.equal([]);
  });

  async function open(path: string, opts: { human?: boolean; ua?: string; origin?: string; context?: BrowserContextOptions } = {}): Promise<Page> {
    context = await browser.newContext({ userAgent: opts.ua ?? HUMAN_UA, ...opts.context });
    if (opts.human !== false) await context.addInitScript(AS_HUMAN);
    await context.addInitScript(LOG_CALLS);
    const page = await context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${opts.origin ?? standIn.site}/fixtures/${path}`);
    return page;
  }
  const text = (page: Page, sel: string) =>
    page.locator(sel).evaluate((el) => (el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement ? el.value : el.textContent));
  const attr = (page: Page, sel: string, name: string) => page.locator(sel).getAttribute(name);
  const calls = (page: Page) => page.evaluate(() => (window as unknown as { calls_: [string, string, string][] }).calls_);
  const widgetReady = (page: Page) => until('widget init', () => page.evaluate(() => typeof window.dni === 'function' && !('q' in window.dni)));
  const human = async (page: Page) => {
    await widgetReady(page);
    await page.mouse.move(5, 5);
    await page.mouse.move(40, 40);
  };

  beforeEach(() => {
    standIn.reset();
    errors = [];
  });

  it('swaps Russian and US formats, split numbers, tel:, title and aria-label after a human signal, and nothing else', async () => {
    const page = await open('main.html');
    await human(page);
    await until('swap', async () => (await text(page, '#ru-8'))?.includes('123-45-61'));

    expect(await text(page, '#ru-tel')).to.equal('+7 (495) 123-45-61');
    expect(await attr(page, '#ru-tel', 'href')).to.equal('tel:+74951234561');
    expect(await attr(page, '#ru-tel', 'title')).to.equal('Call +7 (495) 123-45-61');
    expect(await attr(page, '#ru-tel', 'aria-label')).to.equal('Call 8 495 123 45 61');
    expect(await text(page, '#us-tel')).to.equal('(415) 555-0101');
    expect(await attr(page, '#us-tel', 'href')).to.equal('tel:+14155550101');
    expect(await text(page, '#ru-8')).to.equal('Moscow office: 8 (495) 123-45-61, weekdays.');
    expect(await text(page, '#ru-plain')).to.equal('Or 84951234561 or 7-495-123-45-61.');
    expect(await text(page, '#us-dots')).to.equal('US: +1 415.555.0101 and 1-415-555-0101.');
    expect(await text(page, '#split-ru')).to.equal('8 (495) 123-45-61');
    expect(await page.locator('#split-ru b').textContent()).to.equal('123');
    expect(await text(page, '#split-us')).to.equal('(415)\u00a0555-0101');
    expect(await attr(page, '#split-us a', 'href')).to.equal('tel:+14155550101');
    expect(await text(page, '#marked')).to.equal('+1 (415) 555-0101');

    // Untouched: other numbers, form fields, editable content, scripts, styles, JSON-LD.
    expect(await text(page, '#other')).to.equal('Fax: +7 (495) 123-45-68, order 4155550100123, support (415) 555-0199.');
    expect(await text(page, '#ta')).to.equal('+7 (495) 123-45-67');
    expect(await text(page, '#in')).to.equal('(415) 555-0100');
    expect(await text(page, '#ce')).to.equal('8 (495) 123-45-67');
    expect(await text(page, '#ns')).to.equal('(415) 555-0100');
    expect(await text(page, '#inline')).to.include("'+7 (495) 123-45-67'");
    expect(await page.locator('script[type="application/ld+json"]').textContent()).to.include('"telephone":"+74951234567"');
    expect(await page.locator('style').textContent()).to.include('+7 (495) 123-45-67');

    const [req, ...more] = standIn.sessionRequests();
    expect(more).to.have.length(0);
    expect(req?.contentType).to.match(/^text\/plain/);
    expect(req?.origin).to.equal(standIn.site);
    expect(req?.body).to.include({ site: 'demo', url: `${standIn.site}/fixtures/main.html`, referrer: '', consent: true });
    expect(req?.body).to.not.have.property('visitor');
    expect(req?.body?.['device']).to.be.an('object');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('dni:demo') ?? 'null'));
    expect(stored).to.include({ visitorId: 'v1', sessionId: 's1' });
    expect(stored.swaps).to.have.length(2);
  });

  it('swaps numbers in typical CMS markup and leaves data attributes, images and other links alone', async () => {
    const page = await open('cms.html');
    await human(page);
    await until('swap', async () => (await text(page, '#a1')) === '+7 (495) 123-45-61');
    expect(await page.title()).to.equal('Сантехник в Москве — +7 (495) 123-45-61');
    expect(await attr(page, '#a1', 'href')).to.equal('tel:+74951234561');
    expect(await text(page, '#a2')).to.equal('8\u00a0(495)\u00a0123\u201145\u201161');
    expect(await attr(page, '#a2', 'href')).to.equal('tel:+74951234561');
    expect(await text(page, '#micro')).to.equal('+7 495 123 45 61');
    expect(await attr(page, '#btn', 'aria-label')).to.equal('Позвонить +74951234561');
    expect(await text(page, '#u1')).to.equal('415-555-0101');
    expect(await attr(page, '#u1', 'href')).to.equal('tel:+14155550101');
    expect(await text(page, '#u2')).to.equal('Call (415) 555\u20110101 now');
    expect(await text(page, '#u3')).to.equal('1 (415) 555-0101 · +1 (415) 555 0101 · 415.555.0101');
    expect(await text(page, '#u4')).to.equal('Hours 9-5 (415) 555-0101');
    expect(await text(page, '#f1')).to.equal('© 2026 ООО «Ромашка». Тел.: +7 495 1234561. ИНН 7701234567, ОГРН 1027700132195.');
    expect(await text(page, '#f2')).to.equal('Офис: ул. Тверская, д. 15 8 (495) 123-45-61 доб. 123');
    // Not phone text: left alone.
    expect(await attr(page, '#btn', 'data-phone')).to.equal('+74951234567');
    expect(await attr(page, '#wa', 'href')).to.equal('https://wa.me/74951234567');
    expect(await attr(page, '#img', 'alt')).to.equal('+7 (495) 123-45-67');
    expect(await page.locator('meta[name=description]').getAttribute('content')).to.equal('Звоните +7 (495) 123-45-67');
  });

  it('swaps only within a block: skipped elements inside it, line breaks and numbers spread over blocks stay', async () => {
    const page = await open('blocks.html');
    await human(page);
    await until('swap', async () => (await text(page, '#nested'))?.includes('555.0101'));
    expect(await text(page, '#nested')).to.equal('Opening hoursPhone: +1 415.555.0101');
    expect(await text(page, '#with-script')).to.equal("Call window.x = '8 495 123 45 67';8 (495) 123-45-61");
    expect(await attr(page, '#outer', 'title')).to.equal('Sales (415) 555-0101');
    // A <br> ends a run, each list item is its own block, and editable content keeps its links.
    expect(await text(page, '#br')).to.equal('8 495123 45 67');
    expect(await text(page, '#digits')).to.equal('84951234567');
    expect(await attr(page, '#ce-links a', 'href')).to.equal('tel:+74951234567');
    expect(await attr(page, '#ce-links a', 'title')).to.equal('+7 (495) 123-45-67');
  });

  it('swaps numbers a single-page app adds later, after pushState and re-renders', async () => {
    const page = await open('spa.html');
    await human(page);
    await until('first swap', async () => (await text(page, '#first')) === 'Call (415) 555-0101');
    await page.evaluate(() => (window as unknown as { addRoute(p: string): void }).addRoute('/fixtures/spa.html#/contact'));
    await until('late swap', async () => (await text(page, '#late'))?.includes('8 (495) 123-45-61'));
    expect(await attr(page, '#late-tel', 'href')).to.equal('tel:+74951234561');
    await page.evaluate(() => (window as unknown as { rerender(): void }).rerender());
    await until('re-render swap', async () => (await text(page, '#first')) === 'Call us: (415) 555-0101');
    expect(standIn.sessionRequests()).to.have.length(1);
  });

  it('initialises once when loaded twice, and replays calls queued by the stub', async () => {
    const page = await open('twice.html');
    await human(page);
    await until('swap', async () => (await text(page, '#n')) === '(415) 555-0101');
    const seen = await page.evaluate(() => (window as unknown as { seen: unknown[][] }).seen);
    expect(seen).to.have.length(1);
    expect(standIn.sessionRequests()).to.have.length(1);
    expect((await calls(page)).filter(([kind, url]) => kind === 'fetch' && url.endsWith('/v1/dni/sessions'))).to.have.length(1);
  });

  it("works under a strict CSP (script-src 'self', no inline code or styles needed)", async () => {
    const page = await open('csp.html', { origin: standIn.gateway });
    const violations: string[] = [];
    await page.exposeFunction('violation_', (v: string) => violations.push(v));
    await page.evaluate(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { violation_(v: string): void }).violation_(e.violatedDirective),
      ),
    );
    await human(page);
    await until('swap', async () => (await text(page, '#n')) === '8 (495) 123-45-61');
    // The optional anti-flicker <style> is refused by style-src 'self' and the number shows anyway.
    expect(violations.filter((v) => !v.startsWith('style-src'))).to.deep.equal([]);
    expect(await page.locator('#n').isVisible()).to.equal(true);
  });

  async function openWithClock(path: string): Promise<Page> {
    context = await browser.newContext({ userAgent: HUMAN_UA });
    await context.addInitScript(AS_HUMAN);
    await context.addInitScript(LOG_CALLS);
    const page = await context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.clock.install();
    await page.goto(`${standIn.site}/fixtures/${path}`);
    await widgetReady(page);
    return page;
  }
  const sessionCalls = async (page: Page) => (await calls(page)).filter(([, url]) => url.endsWith('/v1/dni/sessions')).length;

  it('waits for a human signal: nothing before, a request after 3 s of a visible tab', async () => {
    const page = await openWithClock('gate.html');
    await page.clock.runFor(2_000);
    expect(await sessionCalls(page)).to.equal(0);
    await page.clock.runFor(1_500);
    expect(await sessionCalls(page)).to.equal(1);
    await until('swap', async () => (await text(page, '#t')) === '(415) 555-0101');
  });

  it('counts a phone number in view as a human signal', async () => {
    const page = await openWithClock('main.html');
    await until('request', async () => (await sessionCalls(page)) === 1);
  });

  it('never asks for a number for a bot user agent', async () => {
    const page = await open('main.html', { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    await human(page);
    await page.mouse.wheel(0, 200);
    await page.keyboard.press('Tab');
    expect(await calls(page)).to.deep.equal([]);
    expect(await text(page, '#us-tel')).to.equal('(415) 555-0100');
  });

  it('never asks for a number when navigator.webdriver is set (automation)', async () => {
    const page = await open('main.html', { human: false });
    expect(await page.evaluate(() => navigator.webdriver)).to.equal(true);
    await human(page);
    await page.mouse.wheel(0, 200);
    expect(await calls(page)).to.deep.equal([]);
    expect(standIn.sessionRequests()).to.have.length(0);
  });

  it('with consent required stores nothing and shows channel numbers until dni("consent", true)', async () => {
    const page = await open('consent.html?gclid=G1');
    await page.context().addCookies([
      { name: '_ga', value: 'GA1.1.555.1700000000', url: page.url() },
      { name: '_ym_uid', value: '1700000000999', url: page.url() },
    ]);
    await human(page);
    await until('channel swap', async () => (await text(page, '#n')) === '(415) 555-0110');
    const first = standIn.sessionRequests()[0]?.body;
    expect(first).to.include({ consent: false });
    expect(first).to.not.have.property('visitor');
    expect(first).to.not.have.property('session');
    expect(first, 'no analytics ids before consent').to.not.have.property('clientIds');
    expect(await page.evaluate(() => localStorage.length)).to.equal(0);

    await page.evaluate(() => window.dni?.('consent', true));
    await until('second request', () => standIn.sessionRequests().length === 2);
    expect(standIn.sessionRequests()[1]?.body).to.include({ consent: true });
    expect(standIn.sessionRequests()[1]?.body?.['clientIds']).to.deep.equal({ ga: 'GA1.1.555.1700000000', ym: '1700000000999' });
    await until('stored', async () => (await page.evaluate(() => localStorage.getItem('dni:demo'))) !== null);
  });

  it('reuses the stored visitor once a queued consent is replayed, and forgets it when consent is withdrawn', async () => {
    const page = await open('consent.html');
    await human(page);
    await until('channel request', () => standIn.sessionRequests().length === 1);
    await page.evaluate(() => window.dni?.('consent', true));
    await until('pool swap', async () => (await text(page, '#n')) === '(415) 555-0102');
    await page.goto(`${standIn.site}/fixtures/consent-granted.html`);
    await until('swap from storage', async () => (await text(page, '#n')) === '(415) 555-0102');
    expect(standIn.sessionRequests()).to.have.length(2);
    await page.evaluate(() => window.dni?.('consent', false));
    expect(await page.evaluate(() => localStorage.length)).to.equal(0);
  });

  it('without consent a visit with no campaign keeps the canonical numbers', async () => {
    const page = await open('consent.html');
    await human(page);
    await until('request', () => standIn.sessionRequests().length === 1);
    await until('answer handled', async () => (await calls(page)).length === 1);
    expect(await text(page, '#ru')).to.equal('8 (495) 123-45-67');
    expect(await page.evaluate(() => localStorage.length)).to.equal(0);
  });

  it('keeps the page numbers and throws nothing when the gateway is down', async () => {
    const page = await open('down.html');
    await human(page);
    await until('request attempted', async () => (await calls(page)).some(([, url]) => url.endsWith('/v1/dni/sessions')));
    // The anti-flicker rule is lifted when the request fails.
    await until('revealed', () => page.locator('#t').isVisible());
    expect(await text(page, '#n')).to.equal('(415) 555-0100');
    expect(await attr(page, '#t', 'href')).to.equal('tel:+74951234567');
  });

  it('swaps page two from storage before its first paint (tag in the head without async), without asking the gateway again', async () => {
    const page = await open('main.html');
    await human(page);
    await until('swap', async () => (await text(page, '#ru-8'))?.includes('123-45-61'));
    // An async tag runs whenever the (cached) script is ready, usually but not always before the first frame;
    // a head tag without async runs before the body is parsed, so every number is swapped as it is inserted.
    await page.goto(`${standIn.site}/fixtures/paint-sync.html`);
    await until('frames', async () => (await page.evaluate(() => (window as unknown as { frames_: string[] }).frames_.length)) > 2);
    const frames = await page.evaluate(() => (window as unknown as { frames_: string[] }).frames_);
    // A frame may come between the parser inserting the element and its text (""): blank, never the original.
    expect(frames.every((f) => f === '8 (495) 123-45-61' || f === '')).to.equal(true, JSON.stringify(frames.slice(0, 5)));
    expect(frames.filter((f) => f !== '').length, JSON.stringify(frames.slice(0, 5))).to.be.greaterThan(0);
    expect(await attr(page, '#t', 'href')).to.equal('tel:+14155550101');
    expect(standIn.sessionRequests()).to.have.length(1);
    // The stored session is kept alive from page two too.
    const beat = await until('heartbeat', () => standIn.requests.find((r) => r.path === '/v1/dni/sessions/s1/heartbeat'));
    expect(beat?.body, 'the site key lets the gateway check the origin').to.deep.equal({ site: 'demo' });
  });

  it('starts a new session when the stored one has expired on the gateway, re-swapping the shown numbers', async () => {
    const page = await open('main.html');
    await human(page);
    await until('swap', async () => (await text(page, '#ru-8'))?.includes('123-45-61'));
    standIn.expireSessions();
    await page.goto(`${standIn.site}/fixtures/paint.html`);
    await until('new session', () => standIn.sessionRequests().length === 2);
    expect(standIn.sessionRequests()[1]?.body).to.include({ visitor: 'v1', consent: true });
    expect(standIn.sessionRequests()[1]?.body).to.not.have.property('session');
    await until('re-swap', async () => (await text(page, '#n')) === '8 (495) 123-45-62');
    expect(await attr(page, '#t', 'href')).to.equal('tel:+14155550102');
  });

  it('sends heartbeats only while the tab is visible', async () => {
    standIn.heartbeatSeconds = 10;
    const page = await openWithClock('main.html');
    await human(page);
    await until('session', async () => (await page.evaluate(() => localStorage.getItem('dni:demo'))) !== null);
    const beats = async () => (await calls(page)).filter(([, url]) => url.endsWith('/heartbeat')).length;
    await page.clock.runFor(35_000);
    expect(await beats()).to.equal(3);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.clock.runFor(60_000);
    expect(await beats()).to.equal(3);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(await beats()).to.equal(4);
    await until('heartbeats reach the gateway', () => standIn.requests.filter((r) => r.path.endsWith('/heartbeat')).length === 4);
  });

  it('beacons tel: clicks and leaving the page', async () => {
    const page = await open('main.html');
    await human(page);
    await until('swap', async () => (await text(page, '#us-tel')) === '(415) 555-0101');
    await page.evaluate(() => document.addEventListener('click', (e) => e.preventDefault()));
    await page.click('#us-tel');
    await until('tel-click', () => standIn.requests.find((r) => r.path === '/v1/dni/sessions/s1/tel-click'));
    const click = standIn.requests.find((r) => r.path === '/v1/dni/sessions/s1/tel-click');
    expect(click?.body).to.include({ site: 'demo', number: '+14155550101' });
    expect(click?.body?.['t']).to.be.a('number');
    await page.goto('about:blank');
    const leave = await until('leave', () => standIn.requests.find((r) => r.path === '/v1/dni/sessions/s1/leave'));
    expect(leave?.body).to.include({ site: 'demo' });
  });
});
