import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../../test/helpers/browser.js';
import { seedNumber, seedPool, seedSite } from '../../../test/helpers/call-fixtures.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { requireChromium } from '../../../test/helpers/test-env.js';
import type { Principal } from '../../http/principal.js';
import { newId } from '../../shared/ids.js';

const SHOTS = fileURLToPath(new URL('../../../../screenshots/console/', import.meta.url));
const PASSWORD = 'correct horse battery';
const SIZES = { desktop: { width: 1366, height: 900 }, phone: { width: 390, height: 844 } } as const;

// The action log on the numbers screen, in both languages and at both widths: an admin undoes a pause and keeps a
// number whose release waited for them; a release shows as final.
describe('pool autoscaling in the console (Chromium)', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let browser: Browser;
  let poolId: string;
  const ids: Record<string, string> = {};

  before(async function () {
    requireChromium(this);
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway(t.db);
    const siteId = await seedSite(t.db.knex, gw.accountId, { defaultForwardTo: '+15550000001' });
    poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'session' });
    for (const [k, e164] of [
      ['bought', '+14155550201'],
      ['paused', '+15550300002'],
      ['pending', '+15550300003'],
      ['released', '+15550300004'],
    ] as const)
      ids[k] = await seedNumber(t.db.knex, gw.accountId, { e164, siteId, poolId });
    await t.db.knex('tracking_numbers').where({ id: ids.paused }).update({ status: 'paused' });
    await t.db
      .knex('tracking_numbers')
      .where({ id: ids.pending })
      .update({ status: 'quarantined', quarantined_until: new Date(Date.now() + 40 * 86_400_000) });
    await t.db.knex('tracking_numbers').where({ id: ids.released }).update({ status: 'released' });
    const put = await gw.api(`/v1/pools/${poolId}/autoscale`, { method: 'PUT', json: { enabled: true, maxSize: 12, monthlyCostCap: 20 } });
    expect(put.status).to.equal(200);
    const at = Date.now() - 3 * 86_400_000;
    const log = (key: string, action: string, status: string, details: object, ago: number) =>
      t.db.knex('pool_autoscale_actions').insert({
        id: newId(),
        account_id: gw.accountId,
        pool_id: poolId,
        tracking_number_id: ids[key],
        e164: null,
        action,
        status,
        details: JSON.stringify(details),
        created_at: new Date(at + ago),
      });
    await log('bought', 'buy', 'done', { recommendedSize: 4, activeNumbers: 3 }, 0);
    await log('paused', 'pause', 'done', { recommendedSize: 2, activeNumbers: 4, recentCalls: 0 }, 3_600_000);
    await log('pending', 'release', 'pending', { recentCalls: 3, recentCallDays: 30 }, 7_200_000);
    await log('released', 'release', 'done', { recentCalls: 0, recentCallDays: 30 }, 10_800_000);
    await t.db.knex('pool_autoscale_actions').update({
      e164: t.db.knex('tracking_numbers').select('e164').where('tracking_numbers.id', t.db.knex.ref('pool_autoscale_actions.tracking_number_id')),
    });
    const owner: Principal = { accountId: gw.accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' };
    await gw.container.services.users.create(owner, { email: 'admin@example.com', role: 'admin', password: PASSWORD });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  for (const lang of ['en', 'ru'] as const)
    for (const size of ['desktop', 'phone'] as const)
      it(`shows the log with undo, confirm and keep for an admin (${lang}, ${size})`, async () => {
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
        await page.waitForSelector('.autoscale-log tbody tr');
        const rows = page.locator('.autoscale-log tbody tr');
        expect(await rows.count()).to.equal(4);
        const text = (await page.textContent('.autoscale')) ?? '';
        expect(text).to.include(lang === 'ru' ? 'Ждёт вас' : 'Waiting for you');
        expect(text).to.include(lang === 'ru' ? 'Окончательно: отменить нельзя' : 'Final: cannot be undone');
        expect(text).to.include(lang === 'ru' ? '3 звонка за 30 дней' : '3 calls in 30 days');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, 'horizontal overflow').to.be.at.most(0);
        // From the top, full page: a sticky header would otherwise be drawn over the part scrolled to.
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(SHOTS, `autoscale-admin-${lang}-${size}.png`), fullPage: true });
        expect(problems).to.deep.equal([]);
        await ctx.close();
      });

  it('undoes a pause and keeps a pending number from the console', async () => {
    const ctx = await browser.newContext({ viewport: SIZES.desktop, locale: 'en-US' });
    const page = await ctx.newPage();
    await page.goto(`${gw.baseUrl}/console/`);
    await page.fill('input[name=email]', 'admin@example.com');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#nav', { state: 'attached' });
    await page.goto(`${gw.baseUrl}/console/#/numbers`);
    await page.waitForSelector('.autoscale-log tbody tr');
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.waitForFunction(() => document.querySelector('.autoscale')?.textContent?.includes('Unpause'));
    expect((await t.db.knex('tracking_numbers').where({ id: ids.paused }).first()).status).to.equal('active');
    await page.getByRole('button', { name: 'Keep' }).click();
    await page.waitForFunction(() => document.querySelector('.autoscale')?.textContent?.includes('Back from quarantine'));
    expect((await t.db.knex('tracking_numbers').where({ id: ids.pending }).first()).status).to.equal('active');
    const pending = await t.db.knex('pool_autoscale_actions').where({ pool_id: poolId, action: 'release', status: 'rejected' });
    expect(pending).to.have.length(1);
    await ctx.close();
  });
});
