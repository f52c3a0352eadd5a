import { expect } from 'chai';
import { launchChromium } from './helpers/browser.js';
import type { Browser } from 'playwright-core';
import { answeredCallCallbacks, inboundParams, randomSid, twilioPoster } from './helpers/twilio-webhooks.js';
import { seedDemo } from '../src/demo/demo-seed.js';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';
import { requireChromium } from './helpers/test-env.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'c'.repeat(32);

describe('console in Chromium', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let browser: Browser;

  before(async function () {
    requireChromium(this);
    const config = createTestConfig({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
    gw = await startTestGateway(t.db, { config: { ...config, http: { ...config.http, publicBaseUrl: new URL('http://127.0.0.1') } } });
    await seedDemo(t.db.knex);
    await gw.container.services.leases.syncAll();
    await gw.container.services.routing.refresh();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('logs a console user in, shows a call the moment it rings, and opens its card', async () => {
    const email = gw.container.config.bootstrap.email;
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${gw.baseUrl}/console/`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:has-text("Calls")');
    expect(await page.isVisible('form#login')).to.equal(false);

    // A call arrives while the page is open: the live feed adds it without a reload.
    const tw = twilioPoster(gw.baseUrl, gw.container.config.http.publicBaseUrl.href, AUTH_TOKEN);
    const callSid = randomSid('CA');
    const params = { accountSid: ACCOUNT_SID, callSid, from: '+15551112222', to: '+14155550110' };
    expect((await tw.post('voice', inboundParams(params))).status).to.equal(200);
    await page.waitForSelector('tbody tr:has-text("+15551112222")', { timeout: 15_000 });
    for (const cb of answeredCallCallbacks({ ...params, forwardTo: '+14155550199', talkSeconds: 12 })) await tw.post(cb.path, cb.params);
    await page.waitForSelector('tbody tr:has-text("completed")', { timeout: 15_000 });

    await page.click('tbody tr:has-text("+15551112222")');
    await page.waitForSelector('h1:has-text("Call from +15551112222")');
    expect(await page.textContent('#view')).to.include('talk 12 s');
    expect(errors).to.deep.equal([]);
  });
});
