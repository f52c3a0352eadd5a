import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { startScenario, UA_MOBILE } from '../../../test/helpers/analytics-scenario.js';
import type { Scenario } from '../../../test/helpers/analytics-scenario.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { METRICS } from './report-types.js';

type Row = Record<string, number | string | null>;
interface Report {
  rows: Row[];
  totals: Row;
  timezone: string;
  currency: string;
  groupBy: string;
  model: string;
}

/**
 * A hand-built site whose expected figures come from reading the story below, not from the code:
 *
 *   visitor A  11-20 10:00 gclid, campaign brand, term sofa (Google Ads)  → calls at 10:00:30, talks 60 s
 *   visitor D  11-20 15:00 from google.com, organic (no channel)          → no call
 *   visitor B  11-20 23:59 vk / paid_social / retarget_nov (VK Ads)       → calls at 23:59:30, missed
 *   visitor C  11-21 00:01 direct, first visit ever (Direct)              → calls at 00:01:30 (40 s) and 00:02:30 (5 s)
 *   visitor A  11-21 12:00 direct return (Direct)                         → calls at 12:00:30, 10 s (26 h after the first)
 *   visitor E  11-20 11:00 vk (VK Ads), 11-21 13:00 gclid, generic        → calls at 13:00:30, 30 s, from a phone
 *
 * Times are Moscow time; 23:59:30 on the 20th is 20:59:30 UTC and 00:01:30 on the 21st is still the 20th in UTC.
 * Target calls: answered and at least 30 s. A call opens a lead unless the caller called within 24 h before.
 */
describe('reports: the end-to-end summary through the public API', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let s: Scenario;
  const get = async (q: string): Promise<Report> => {
    const res = await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&${q}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as Report;
  };
  const byKey = (r: Report, key: string | null): Row => {
    const row = r.rows.find((x) => x.key === key);
    expect(row, `row ${key}`).to.not.equal(undefined);
    return row!;
  };

  before(async () => {
    s = await startScenario(t.db);
    const a1 = await s.visit('2026-11-20 10:00:00', { url: 'https://shop.example/sofas?gclid=G1&utm_campaign=brand&utm_term=sofa' });
    await s.call('2026-11-20 10:00:30', { from: '+79160000001', to: a1.number, talk: 60 });
    await s
      .visit('2026-11-20 11:00:00', { url: 'https://shop.example/?utm_source=vk&utm_medium=paid_social&utm_campaign=retarget_nov' })
      .then(async (e1) => {
        await s.visit('2026-11-20 15:00:00', { url: 'https://shop.example/blog', referrer: 'https://www.google.com/' });
        const b = await s.visit('2026-11-20 23:59:00', {
          url: 'https://shop.example/?utm_source=vk&utm_medium=paid_social&utm_campaign=retarget_nov',
        });
        await s.call('2026-11-20 23:59:30', { from: '+79160000002', to: b.number, talk: null });
        const c = await s.visit('2026-11-21 00:01:00', { url: 'https://shop.example/' });
        await s.call('2026-11-21 00:01:30', { from: '+79160000003', to: c.number, talk: 40 });
        await s.call('2026-11-21 00:02:30', { from: '+79160000003', to: c.number, talk: 5 });
        const a2 = await s.visit('2026-11-21 12:00:00', { url: 'https://shop.example/sofas', visitor: a1.visitor });
        await s.call('2026-11-21 12:00:30', { from: '+79160000001', to: a2.number, talk: 10 });
        const e2 = await s.visit('2026-11-21 13:00:00', {
          url: 'https://shop.example/chairs?gclid=G2&utm_campaign=generic',
          visitor: e1.visitor,
          ua: UA_MOBILE,
        });
        await s.call('2026-11-21 13:00:30', { from: '+79160000004', to: e2.number, talk: 30 });
      });
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
    expect(r).to.include({ timezone: 'Europe/Moscow', currency: 'USD', groupBy: 'channel', model: 'last_non_direct' });
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
