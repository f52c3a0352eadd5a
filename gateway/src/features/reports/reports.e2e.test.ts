import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Scenario } from '../../../test/helpers/analytics-scenario.js';
import { startStory } from '../../../test/helpers/analytics-story.js';
import type { Report, Story } from '../../../test/helpers/analytics-story.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { METRICS } from './report-types.js';

/** The summary over the story in test/helpers/analytics-story.ts (figures derived there, by hand). */
describe('reports: the end-to-end summary through the public API', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let story: Story;
  let s: Scenario;
  const get = (q: string) => story.get(q);
  const byKey = (r: Report, key: string | null) => story.byKey(r, key);
  before(async () => {
    story = await startStory(t.db);
    ({ s } = story);
  });
  after(() => s?.gw.stop());

  it('stores the calls the way the story tells (the premise of every figure below)', async () => {
    const res = (await (await s.gw.api(`/v1/calls?siteId=${s.siteId}&limit=20`)).json()) as {
      items: { caller: string; talkSeconds: number | null; answeredAt: string | null; sessionId: string | null; firstTimeCaller: boolean }[];
    };
    expect(res.items).to.have.length(6);
    expect(
      res.items.every((c) => c.sessionId !== null),
      'every call matched to its visit',
    ).to.equal(true);
    expect(res.items.map((c) => [c.caller, c.answeredAt === null ? null : c.talkSeconds, c.firstTimeCaller])).to.deep.equal([
      ['+79160000004', 30, true],
      ['+79160000001', 10, false],
      ['+79160000003', 5, false],
      ['+79160000003', 40, true],
      ['+79160000002', null, true],
      ['+79160000001', 60, true],
    ]);
  });

  it('by channel, last non-direct (default): the direct return visit and its call go to Google Ads', async () => {
    const r = await get('from=2026-11-20&to=2026-11-21');
    expect(r).to.include({ timezone: 'Europe/Moscow', currency: 'RUB', groupBy: 'channel', model: 'last_non_direct' });
    const g = byKey(r, s.channels.google);
    expect(g).to.include({
      label: 'Google Ads',
      visits: 3,
      calls: 3,
      answeredCalls: 3,
      missedCalls: 0,
      uniqueCallers: 2,
      firstTimeCallers: 2,
      targetCalls: 2,
      leads: 3,
    });
    expect(byKey(r, s.channels.vk)).to.include({
      label: 'VK Ads',
      visits: 2,
      calls: 1,
      answeredCalls: 0,
      missedCalls: 1,
      uniqueCallers: 1,
      targetCalls: 0,
      leads: 1,
    });
    expect(byKey(r, s.channels.direct)).to.include({
      visits: 1,
      calls: 2,
      answeredCalls: 2,
      uniqueCallers: 1,
      firstTimeCallers: 1,
      targetCalls: 1,
      leads: 1,
    });
    expect(byKey(r, null)).to.include({ label: '(none)', visits: 1, calls: 0, leads: 0 });
    expect(r.totals).to.include({
      visits: 7,
      calls: 6,
      answeredCalls: 5,
      missedCalls: 1,
      uniqueCallers: 4,
      firstTimeCallers: 4,
      targetCalls: 3,
      leads: 5,
    });
    // No spend yet: spend is 0, so cost per call is 0 and the ratios over spend have no denominator.
    expect(g).to.include({ spend: 0, clicks: 0, costPerCall: 0, roas: null, romi: null, deals: 0, revenue: 0, cpa: null });
    expect(byKey(r, null)).to.include({ costPerCall: null, cpl: null });
  });

  it('last click keeps the direct visit direct; first click gives E’s call to VK', async () => {
    const lc = await get('from=2026-11-20&to=2026-11-21&model=last_click');
    expect(byKey(lc, s.channels.google)).to.include({ visits: 2, calls: 2, leads: 2 });
    expect(byKey(lc, s.channels.direct)).to.include({ visits: 2, calls: 3, uniqueCallers: 2, leads: 2 });
    expect(byKey(lc, s.channels.vk)).to.include({ visits: 2, calls: 1 });
    const fc = await get('from=2026-11-20&to=2026-11-21&model=first_click');
    expect(byKey(fc, s.channels.google)).to.include({ visits: 2, calls: 2, uniqueCallers: 1, firstTimeCallers: 1, leads: 2 });
    expect(byKey(fc, s.channels.vk)).to.include({ visits: 3, calls: 2, missedCalls: 1, targetCalls: 1 });
    expect(byKey(fc, s.channels.direct)).to.include({ visits: 1, calls: 2 });
    for (const r of [lc, fc]) expect(r.totals).to.include({ visits: 7, calls: 6, uniqueCallers: 4, leads: 5 });
  });

  it('calendar days in the site zone: 23:59:30 is the 20th, 00:01:30 the 21st, and a one-day range holds only its day', async () => {
    const d = await get('from=2026-11-20&to=2026-11-21&groupBy=date');
    expect(d.rows.map((r) => [r.key, r.calls, r.visits])).to.deep.equal([
      ['2026-11-20', 2, 4],
      ['2026-11-21', 4, 3],
    ]);
    const one = await get('from=2026-11-20&to=2026-11-20');
    expect(one.totals).to.include({ calls: 2, visits: 4 });
    const h = await get('from=2026-11-20&to=2026-11-21&groupBy=hour');
    expect(byKey(h, '23')).to.include({ calls: 1, missedCalls: 1, label: '23:00' });
    expect(byKey(h, '00')).to.include({ calls: 2 });
    expect(h.rows.map((r) => r.key)).to.deep.equal(['00', '10', '11', '12', '13', '15', '23']);
    expect(h.totals.spend, 'spend has no hour').to.equal(0);
    expect(h.rows.every((r) => r.spend === null)).to.equal(true);
    const w = await get('from=2026-11-20&to=2026-11-21&groupBy=weekday');
    expect(w.rows.map((r) => [r.key, r.label, r.calls])).to.deep.equal([
      ['5', 'Friday', 2],
      ['6', 'Saturday', 4],
    ]);
    const ru = await get('from=2026-11-20&to=2026-11-21&groupBy=weekday&lang=ru');
    expect(ru.rows.map((r) => r.label)).to.deep.equal(['Пятница', 'Суббота']);
    const wk = await get('from=2026-11-20&to=2026-11-21&groupBy=week');
    expect(wk.rows.map((r) => [r.key, r.label, r.calls])).to.deep.equal([['2026-11-16', '2026-W47', 6]]);
    const m = await get('from=2026-11-20&to=2026-11-21&groupBy=month');
    expect(m.rows.map((r) => [r.key, r.calls])).to.deep.equal([['2026-11', 6]]);
  });

  it('by UTM dimensions, landing page, device, tracking number and first-time', async () => {
    const src = await get('from=2026-11-20&to=2026-11-21&groupBy=source_medium');
    expect(byKey(src, 'google / cpc')).to.include({ calls: 3, visits: 3 });
    expect(byKey(src, 'vk / paid_social')).to.include({ calls: 1, visits: 2 });
    expect(byKey(src, '(direct) / (none)')).to.include({ calls: 2, visits: 1 });
    expect(byKey(src, 'google / organic')).to.include({ calls: 0, visits: 1 });
    const camp = await get('from=2026-11-20&to=2026-11-21&groupBy=campaign');
    expect(byKey(camp, 'brand')).to.include({ calls: 2, visits: 2 });
    expect(byKey(camp, 'generic')).to.include({ calls: 1, visits: 1 });
    expect(byKey(camp, 'retarget_nov')).to.include({ calls: 1 });
    expect(byKey(camp, null)).to.include({ calls: 2, label: '(none)' });
    const kw = await get('from=2026-11-20&to=2026-11-21&groupBy=keyword&model=last_click');
    expect(byKey(kw, 'sofa')).to.include({ calls: 1, visits: 1 });
    const lp = await get('from=2026-11-20&to=2026-11-21&groupBy=landing_page&model=last_click');
    expect(byKey(lp, 'https://shop.example/sofas')).to.include({ calls: 2, visits: 2 });
    expect(byKey(lp, 'https://shop.example/')).to.include({ calls: 3, visits: 3 });
    const dev = await get('from=2026-11-20&to=2026-11-21&groupBy=device&model=last_click');
    expect(byKey(dev, 'mobile')).to.include({ calls: 1, visits: 1 });
    expect(byKey(dev, 'desktop')).to.include({ calls: 5, visits: 6 });
    const ft = await get('from=2026-11-20&to=2026-11-21&groupBy=first_time');
    expect(byKey(ft, 'true')).to.include({ calls: 4, visits: null });
    expect(byKey(ft, 'false')).to.include({ calls: 2, uniqueCallers: 2, leads: 1 });
    const tn = await get('from=2026-11-20&to=2026-11-21&groupBy=tracking_number');
    expect(tn.rows.reduce((n, r) => n + Number(r.calls), 0)).to.equal(6);
    expect(
      tn.rows.every((r) => r.visits === null),
      'a visit has no tracking number',
    ).to.equal(true);
    expect(tn.totals.visits, 'the total still counts every visit').to.equal(7);
  });

  it('filters like GET /v1/calls; visits and spend cannot follow a call-only filter and are null', async () => {
    const missed = await get('from=2026-11-20&to=2026-11-21&outcome=no-answer');
    expect(missed.totals).to.include({ calls: 1, missedCalls: 1, visits: null, spend: null, costPerCall: null });
    const ch = await get(`from=2026-11-20&to=2026-11-21&channelId=${s.channels.google}`);
    expect(ch.rows.map((r) => r.key)).to.deep.equal([s.channels.google]);
    expect(ch.totals).to.include({ calls: 3, visits: 3 });
    const repeat = await get('from=2026-11-20&to=2026-11-21&firstTime=false&groupBy=date');
    expect(repeat.totals).to.include({ calls: 2 });
  });
  it('lists calls without a session with the reason read from the match evidence', async () => {
    // A day later every lease has run out (the sweep the scheduler runs), so nobody holds +74951110006: a stranger's
    // call has no lease; A's call is matched by caller history.
    s.clock.set(Date.parse('2026-11-23T05:00:00Z'));
    await s.gw.container.services.leases.sweepAll();
    await s.gw.container.services.leases.flushHistory();
    const stranger = await s.call('2026-11-23 09:00:00', { from: '+79160000009', to: '+74951110006', talk: 20 });
    const known = await s.call('2026-11-23 09:10:00', { from: '+79160000001', to: '+74951110006', talk: 20 });
    const res = await s.gw.api(`/v1/reports/calls-without-session?siteId=${s.siteId}&from=2026-11-23&to=2026-11-23`);
    expect(res.status, await res.clone().text()).to.equal(200);
    const body = (await res.json()) as { counts: Record<string, number>; items: { callId: string; reason: string; sessionId: string | null }[] };
    expect(body.counts).to.include({ no_lease: 1, caller_history: 1, static_number: 0, pool_exhausted: 0, bot_gated: 0 });
    expect(body.items.map((i) => [i.callId, i.reason])).to.deep.equal([
      [known.callId, 'caller_history'],
      [stranger.callId, 'no_lease'],
    ]);
    expect(body.items[0]!.sessionId, 'the session came from the caller').to.be.a('string');
    const only = (await (
      await s.gw.api(`/v1/reports/calls-without-session?siteId=${s.siteId}&from=2026-11-23&to=2026-11-23&reason=no_lease`)
    ).json()) as {
      items: unknown[];
    };
    expect(only.items).to.have.length(1);
  });

  it('answers CSV (format=csv or Accept: text/csv) that parses back to the JSON figures, with a total row', async () => {
    const json = await get('from=2026-11-20&to=2026-11-21&groupBy=campaign');
    for (const init of [
      { q: '&format=csv', headers: {} },
      { q: '', headers: { accept: 'text/csv' } },
    ]) {
      const res = await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-20&to=2026-11-21&groupBy=campaign${init.q}`, {
        headers: init.headers,
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/csv; charset=utf-8/);
      const text = await res.text();
      expect(text).to.match(/\r\n$/);
      const records = parse(text, { columns: true }) as Record<string, string>[];
      expect(Object.keys(records[0]!)).to.deep.equal(['key', 'label', ...METRICS]);
      expect(records).to.have.length(json.rows.length + 1);
      json.rows.forEach((row, i) => {
        for (const f of METRICS) expect(records[i]![f], `${row.key} ${f}`).to.equal(row[f] === null ? '' : String(row[f]));
        expect(records[i]!.label).to.equal(row.label);
      });
      const total = records[records.length - 1]!;
      expect(total.key).to.equal('total');
      for (const f of METRICS) expect(total[f]).to.equal(json.totals[f] === null ? '' : String(json.totals[f]));
    }
  });

  it('keeps a formula out of a spreadsheet and quotes what RFC 4180 says to quote', async () => {
    await s.visit('2026-11-21 18:00:00', {
      url: 'https://shop.example/?utm_source=x&utm_medium=cpc&utm_campaign=%3DHYPERLINK(%22http%3A%2F%2Fevil%22)%2C%22a%22',
    });
    const res = await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-21&to=2026-11-21&groupBy=campaign&format=csv`);
    const text = await res.text();
    const records = parse(text, { columns: true }) as Record<string, string>[];
    const evil = records.find((r) => r.label?.includes('HYPERLINK'));
    expect(evil?.label).to.equal(`'=HYPERLINK("http://evil"),"a"`);
    expect(text).to.include(`"'=HYPERLINK(""http://evil""),""a"""`);
  });

  it('refuses bad periods and other accounts’ sites with the error shape; analysts may read', async () => {
    const bad = await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-31&to=2026-11-30`);
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.include.keys('id', 'name', 'message', 'details');
    expect((await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-22&to=2026-11-21`)).status).to.equal(400);
    expect((await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-20&to=2026-11-21&groupBy=nope`)).status).to.equal(400);
    expect((await s.gw.api('/v1/reports/summary?siteId=nope&from=2026-11-20&to=2026-11-21')).status).to.equal(404);
    const key = await s.post<{ token: string }>('/v1/api-keys', { name: 'analyst', role: 'analyst' });
    const res = await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-20&to=2026-11-21`, { key: key.token });
    expect(res.status).to.equal(200);
    expect((await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&from=2026-11-20&to=2026-11-21`, { key: null })).status).to.equal(401);
  });
});
