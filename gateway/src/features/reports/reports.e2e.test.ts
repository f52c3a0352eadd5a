import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { startScenario, UA_MOBILE } from '../../../test/helpers/analytics-scenario.js';
import type { Scenario } from '../../../test/helpers/analytics-scenario.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { readSharedFixture } from '../../../test/helpers/shared-fixtures.js';
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

  const calls: Record<string, string> = {};
  before(async () => {
    s = await startScenario(t.db, { currency: 'RUB' });
    const a1 = await s.visit('2026-11-20 10:00:00', { url: 'https://shop.example/sofas?gclid=G1&utm_campaign=brand&utm_term=sofa' });
    calls.c1 = (await s.call('2026-11-20 10:00:30', { from: '+79160000001', to: a1.number, talk: 60 })).callId;
    await s
      .visit('2026-11-20 11:00:00', { url: 'https://shop.example/?utm_source=vk&utm_medium=paid_social&utm_campaign=retarget_nov' })
      .then(async (e1) => {
        await s.visit('2026-11-20 15:00:00', { url: 'https://shop.example/blog', referrer: 'https://www.google.com/' });
        const b = await s.visit('2026-11-20 23:59:00', {
          url: 'https://shop.example/?utm_source=vk&utm_medium=paid_social&utm_campaign=retarget_nov',
        });
        calls.c2 = (await s.call('2026-11-20 23:59:30', { from: '+79160000002', to: b.number, talk: null })).callId;
        const c = await s.visit('2026-11-21 00:01:00', { url: 'https://shop.example/' });
        calls.c3 = (await s.call('2026-11-21 00:01:30', { from: '+79160000003', to: c.number, talk: 40 })).callId;
        await s.call('2026-11-21 00:02:30', { from: '+79160000003', to: c.number, talk: 5 });
        const a2 = await s.visit('2026-11-21 12:00:00', { url: 'https://shop.example/sofas', visitor: a1.visitor });
        calls.c5 = (await s.call('2026-11-21 12:00:30', { from: '+79160000001', to: a2.number, talk: 10 })).callId;
        const e2 = await s.visit('2026-11-21 13:00:00', {
          url: 'https://shop.example/chairs?gclid=G2&utm_campaign=generic',
          visitor: e1.visitor,
          ua: UA_MOBILE,
        });
        calls.c6 = (await s.call('2026-11-21 13:00:30', { from: '+79160000004', to: e2.number, talk: 30 })).callId;
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

  const upload = (format: string, body: string, query = '') =>
    s.gw.api(`/v1/sites/${s.siteId}/spend?format=${format}${query}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
  const METRICA = [
    'Date,UTMSource,UTMMedium,UTMCampaign,UTMTerm,UTMContent,Expenses,Currency,Clicks',
    '2026-11-20,google,cpc,brand,sofa,,3000.00,RUB,100',
    '2026-11-21,google,cpc,generic,,,1000.50,RUB,40',
    '2026-11-01/2026-11-30,vk,paid_social,retarget_nov,,,48000,RUB,1290',
    'Parameters:TimeZone=Europe/Moscow',
    '',
  ].join('\n');

  it('rejects a spend file with bad lines as a whole, naming every bad line, and stores nothing', async () => {
    const bad = [
      'Date,UTMSource,UTMMedium,UTMCampaign,UTMTerm,UTMContent,Expenses,Currency,Clicks',
      '2026-11-20,google,cpc,brand,sofa,,3000.00,RUB,100',
      '2026-11-31,google,cpc,brand,,,10,RUB,1',
      '2026-11-21,google,cpc,brand,,,12;5,RUB,1',
      '2026-11-21,google,cpc,brand,,,10,USD,1',
      '2026-11-22/2026-11-21,vk,,,,,10,,',
    ].join('\n');
    const res = await upload('yandex-metrica', bad);
    expect(res.status).to.equal(422);
    const body = (await res.json()) as { errors: { line: number; message: string }[]; id: string; name: string };
    expect(body).to.include.keys('id', 'name', 'message', 'details');
    expect(body.errors.map((e) => e.line)).to.deep.equal([3, 4, 5, 6]);
    expect(body.errors[2]!.message).to.match(/USD.*RUB/);
    expect((await get('from=2026-11-01&to=2026-11-30')).totals).to.include({ spend: 0, clicks: 0 });
    expect((await upload('yandex-metrica', 'just,some\ntext')).status).to.equal(422);
    expect((await s.gw.api(`/v1/sites/${s.siteId}/spend?format=yandex-metrica`, { method: 'POST', json: { a: 1 } })).status).to.equal(415);
  });

  it('imports Metrica expenses: a range spread evenly over its days, channels as the visit classifier gives them', async () => {
    const res = await upload('yandex-metrica', METRICA);
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(await res.json()).to.deep.equal({ rows: 3, inserted: 32, replaced: 0 });
    const r = await get('from=2026-11-20&to=2026-11-21');
    // Google: 3000 + 1000.50; VK: 48000 / 30 days × 2 days = 3200; clicks 100 + 40 and 1290 / 30 × 2 = 86.
    const g = byKey(r, s.channels.google);
    expect(g).to.include({ spend: 4000.5, clicks: 140, costPerCall: 1333.5, cpl: 1333.5, cpa: null, roas: 0, romi: -100 });
    expect(byKey(r, s.channels.vk)).to.include({ spend: 3200, clicks: 86, costPerCall: 3200, cpl: 3200 });
    expect(byKey(r, s.channels.direct)).to.include({ spend: 0, costPerCall: 0 });
    expect(r.totals).to.include({ spend: 7200.5, clicks: 226, costPerCall: 1200.08, cpl: 1440.1 });
    const month = await get('from=2026-11-01&to=2026-11-30&groupBy=campaign');
    expect(byKey(month, 'retarget_nov')).to.include({ spend: 48000, clicks: 1290 });
    expect(byKey(month, 'brand')).to.include({ spend: 3000, calls: 2 });
    const kw = await get('from=2026-11-20&to=2026-11-21&groupBy=keyword&model=last_click');
    expect(byKey(kw, 'sofa')).to.include({ spend: 3000, calls: 1, costPerCall: 3000 });
    const days = await get('from=2026-11-20&to=2026-11-21&groupBy=date');
    expect(days.rows.map((x) => x.spend)).to.deep.equal([4600, 2600.5]);
  });

  it('replaces on re-upload (same day and UTM keys) instead of adding', async () => {
    const again = await upload('yandex-metrica', METRICA.replace('3000.00,RUB,100', '2500.00,RUB,90'));
    expect(await again.json()).to.deep.equal({ rows: 3, inserted: 0, replaced: 32 });
    const r = await get('from=2026-11-20&to=2026-11-21');
    expect(byKey(r, s.channels.google)).to.include({ spend: 3500.5, clicks: 130 });
    expect(r.totals).to.include({ spend: 6700.5 });
  });

  it('imports a Google Ads keyword cost report, and moves days of another time zone by their hours', async () => {
    const report = [
      'Search keyword report',
      '"November 21, 2026 - November 21, 2026"',
      'Day,Campaign,Ad group,Keyword,Currency code,Cost,Clicks',
      '2026-11-21,generic,Chairs,[chairs],RUB,"1,200.00",30',
      'Total: Account,,,,,"1,200.00",30',
    ].join('\r\n');
    const res = await upload('google-ads', report);
    expect(await res.json()).to.deep.equal({ rows: 1, inserted: 1, replaced: 0 });
    const kw = await get('from=2026-11-21&to=2026-11-21&groupBy=keyword');
    expect(byKey(kw, 'chairs')).to.include({ spend: 1200, clicks: 30 });
    expect(byKey(await get('from=2026-11-21&to=2026-11-21'), s.channels.google)).to.include({ spend: 2200.5 });
    const utc = ['Parameters:TimeZone=UTC', 'Day,Campaign,Cost,Clicks', '2026-11-25,late,24.00,8'].join('\n');
    expect(await (await upload('google-ads', utc)).json()).to.deep.equal({ rows: 1, inserted: 2, replaced: 0 });
    // A UTC day is 03:00 to 03:00 in Moscow: 21 of its hours on the 25th, 3 on the 26th.
    const d = await get(`from=2026-11-25&to=2026-11-26&groupBy=date&channelId=${s.channels.google}`);
    expect(d.rows.map((x) => [x.key, x.spend, x.clicks])).to.deep.equal([
      ['2026-11-25', 21, 7],
      ['2026-11-26', 3, 1],
    ]);
    const wrong = await upload('google-ads', 'Day,Campaign,Cost\n2026-11-21,generic,abc');
    expect(wrong.status).to.equal(422);
    expect(((await wrong.json()) as { errors: unknown[] }).errors).to.deep.equal([{ line: 2, message: 'Cost "abc" is not a non-negative amount' }]);
  });

  const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

  it('counts won deals and their revenue under each model; lost and reopened leads are no deals', async () => {
    await s.settled();
    const fb = async (callId: string, status: 'won' | 'lost' | 'open', amount?: number, occurredAt = '2026-11-25T15:00:00+03:00') => {
      const res = await s.feedback({ callId, stage: status.toUpperCase(), status, ...(amount !== undefined ? { amount } : {}), occurredAt });
      expect(res.status, await res.clone().text()).to.be.oneOf([200, 201]);
    };
    await fb(calls.c5!, 'won', 25000); // A's second lead (the direct return visit)
    await fb(calls.c6!, 'won', 8000.5, '2026-11-25T16:00:00+03:00'); // E's lead
    await fb(calls.c2!, 'won', 10000);
    await fb(calls.c2!, 'lost', undefined, '2026-11-25T15:30:00+03:00'); // B's lead: won, then lost
    await fb(calls.c3!, 'won', 5000);
    await fb(calls.c3!, 'open', undefined, '2026-11-25T15:30:00+03:00'); // C's lead: won, then reopened
    const r = await get('from=2026-11-20&to=2026-11-21');
    // Spend so far: Google 3500.50 (Metrica, re-uploaded) + 1200 (Google Ads) = 4700.50; VK 3200.
    const gSpend = 3500.5 + 1200;
    const gRevenue = 25000 + 8000.5;
    expect(byKey(r, s.channels.google)).to.include({
      deals: 2,
      revenue: gRevenue,
      spend: gSpend,
      cpa: round(gSpend / 2, 2),
      roas: round(gRevenue / gSpend, 4),
      romi: round(((gRevenue - gSpend) / gSpend) * 100, 2),
    });
    expect(byKey(r, s.channels.vk)).to.include({ deals: 0, revenue: 0, cpa: null, roas: 0, romi: -100 });
    expect(byKey(r, s.channels.direct)).to.include({ deals: 0, revenue: 0 });
    const spend = gSpend + 3200;
    expect(r.totals).to.include({
      deals: 2,
      revenue: gRevenue,
      spend,
      roas: round(gRevenue / spend, 4),
      romi: round(((gRevenue - spend) / spend) * 100, 2),
      cpa: round(spend / 2, 2),
    });
    const lc = await get('from=2026-11-20&to=2026-11-21&model=last_click');
    expect(byKey(lc, s.channels.direct)).to.include({ deals: 1, revenue: 25000 });
    expect(byKey(lc, s.channels.google)).to.include({ deals: 1, revenue: 8000.5 });
    const fc = await get('from=2026-11-20&to=2026-11-21&model=first_click');
    expect(byKey(fc, s.channels.vk)).to.include({ deals: 1, revenue: 8000.5 });
    expect(byKey(fc, s.channels.google)).to.include({ deals: 1, revenue: 25000 });
    // Revenue falls on the day the lead began, not the day it was won.
    const d = await get('from=2026-11-20&to=2026-11-25&groupBy=date');
    expect(byKey(d, '2026-11-21')).to.include({ deals: 2, revenue: gRevenue });
  });

  it('exports Google Ads click conversions in the fixture format: target calls and won deals by the credited gclid', async () => {
    const fixture = readSharedFixture('crm/analytics', 'google-ads-click-conversions.sample.csv').split('\n');
    const res = await s.gw.api(`/v1/sites/${s.siteId}/conversion-exports/google-ads?from=2026-11-20&to=2026-11-25&callValue=1500`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    const lines = (await res.text()).split('\n');
    expect(lines[0]).to.equal('Parameters:TimeZone=Europe/Moscow');
    expect(lines[0]!.split('=')[0]).to.equal(fixture[0]!.split('=')[0]);
    expect(lines[1], 'the header').to.equal(fixture[1]);
    expect(lines.at(-1), 'ends with a line break, as the fixture does').to.equal('');
    const rows = lines.slice(2, -1).map((l) => parse(l)[0] as string[]);
    expect(rows).to.deep.equal([
      ['G1', 'Tracked call - qualified', '2026-11-20 10:00:30', '1500', 'RUB'],
      ['G2', 'Tracked call - qualified', '2026-11-21 13:00:30', '1500', 'RUB'],
      // A's second lead began on a direct return visit: the deal goes to the ad click that brought A first.
      ['G1', 'Call deal - won', '2026-11-25 15:00:00', '25000', 'RUB'],
      ['G2', 'Call deal - won', '2026-11-25 16:00:00', '8000.5', 'RUB'],
    ]);
    const sample = parse(fixture[2]!)[0] as string[];
    for (const row of rows) {
      expect(row).to.have.length(sample.length);
      expect(row[2]).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(sample[2]).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(row[3]).to.match(/^\d+(\.\d+)?$/);
      expect(row[4]).to.match(/^[A-Z]{3}$/);
    }
    const noValue = await (await s.gw.api(`/v1/sites/${s.siteId}/conversion-exports/google-ads?from=2026-11-20&to=2026-11-20`)).text();
    expect(noValue.split('\n').slice(2, -1)).to.deep.equal(['G1,Tracked call - qualified,2026-11-20 10:00:30,,']);
  });

  it('exports Yandex Metrica offline calls in the upload_calls format of the fixture, every call with its flags', async () => {
    const fixture = readSharedFixture('crm/analytics', 'yandex-metrica-calls.sample.csv').split('\n');
    const f = await s.visit('2026-11-22 10:00:00', {
      url: 'https://shop.example/?yclid=7770001&utm_source=yandex&utm_medium=cpc&utm_campaign=direct_sofa',
      clientIds: { ym: '1700000000123456789' },
    });
    const c7 = await s.call('2026-11-22 10:00:30', { from: '+79160000005', to: f.number, talk: 45 });
    const missed = await s.call('2026-11-22 10:05:00', { from: '+79160000006', to: f.number, talk: null });
    const api = (await (await s.gw.api(`/v1/calls?siteId=${s.siteId}&limit=2`)).json()) as { items: { id: string; ringSeconds: number }[] };
    const ring = (id: string) => String(api.items.find((x) => x.id === id)!.ringSeconds);
    const res = await s.gw.api(`/v1/sites/${s.siteId}/conversion-exports/yandex-metrica?from=2026-11-22&to=2026-11-22&idType=Yclid`);
    expect(res.status).to.equal(200);
    const lines = (await res.text()).split('\n');
    expect(lines[0]).to.equal(fixture[0]!.replace(/^ClientId/, 'Yclid'));
    const header = fixture[0]!.split(',');
    const rows = lines.slice(1, -1).map((l) => Object.fromEntries((parse(l)[0] as string[]).map((v, i) => [header[i], v])));
    expect(rows).to.deep.equal([
      {
        ClientId: '7770001',
        DateTime: String(Date.parse('2026-11-22T07:00:30Z') / 1000),
        StaticCall: '0',
        Price: '',
        Currency: '',
        PhoneNumber: '+79160000005',
        TalkDuration: '45',
        HoldDuration: ring(c7.callId),
        CallMissed: '0',
        Tag: 'qualified',
        FirstTimeCaller: '1',
        URL: 'https://shop.example/?yclid=7770001&utm_source=yandex&utm_medium=cpc&utm_campaign=direct_sofa',
        CallTrackerURL: `https://calls.example.com/console/#/call/${c7.callId}`,
      },
      {
        ClientId: '7770001',
        DateTime: String(Date.parse('2026-11-22T07:05:00Z') / 1000),
        StaticCall: '0',
        Price: '',
        Currency: '',
        PhoneNumber: '+79160000006',
        TalkDuration: '0',
        HoldDuration: ring(missed.callId),
        CallMissed: '1',
        Tag: 'missed',
        FirstTimeCaller: '1',
        URL: 'https://shop.example/?yclid=7770001&utm_source=yandex&utm_medium=cpc&utm_campaign=direct_sofa',
        CallTrackerURL: `https://calls.example.com/console/#/call/${missed.callId}`,
      },
    ]);
    // Field by field the fixture's shapes: unix seconds, 0/1 flags, E.164, whole seconds.
    const sample = Object.fromEntries((parse(fixture[1]!)[0] as string[]).map((v, i) => [header[i], v]));
    for (const row of rows)
      for (const [k, re] of Object.entries({
        DateTime: /^\d{10}$/,
        StaticCall: /^[01]$/,
        CallMissed: /^[01]$/,
        FirstTimeCaller: /^[01]$/,
        PhoneNumber: /^\+\d+$/,
        TalkDuration: /^\d+$/,
        HoldDuration: /^\d+$/,
      })) {
        expect(row[k], k).to.match(re);
        expect(sample[k], `fixture ${k}`).to.match(re);
      }
    await s.settled();
    expect(
      (await s.feedback({ callId: c7.callId, stage: 'WON', status: 'won', amount: 3000, occurredAt: '2026-11-22T18:00:00+03:00' })).status,
    ).to.be.oneOf([200, 201]);
    const won = (
      await (await s.gw.api(`/v1/sites/${s.siteId}/conversion-exports/yandex-metrica?from=2026-11-22&to=2026-11-22&idType=Yclid`)).text()
    ).split('\n');
    expect(parse(won[1]!)[0]).to.include.ordered.members(['7770001', String(Date.parse('2026-11-22T07:00:30Z') / 1000), '0', '3000', 'RUB']);
    const conv = await (
      await s.gw.api(`/v1/sites/${s.siteId}/conversion-exports/yandex-metrica?from=2026-11-22&to=2026-11-22&idType=Yclid&kind=conversions`)
    ).text();
    const convFixture = readSharedFixture('crm/analytics', 'yandex-metrica-offline-conversions.sample.csv').split('\n');
    expect(conv.split('\n')[0]).to.equal(convFixture[0]!.replace(/^ClientId/, 'Yclid'));
    expect(conv.split('\n')[1]).to.equal(`7770001,call_sale,${Date.parse('2026-11-22T15:00:00Z') / 1000},3000,RUB`);
    const byClientId = await (await s.gw.api(`/v1/sites/${s.siteId}/conversion-exports/yandex-metrica?from=2026-11-22&to=2026-11-22`)).text();
    const ym = byClientId.split('\n');
    expect(ym[0], 'ClientId is the default key').to.equal(fixture[0]);
    expect(ym.slice(1, -1).map((l) => (parse(l)[0] as string[]).slice(0, 2))).to.deep.equal([
      ['1700000000123456789', String(Date.parse('2026-11-22T07:00:30Z') / 1000)],
      ['1700000000123456789', String(Date.parse('2026-11-22T07:05:00Z') / 1000)],
    ]);
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
