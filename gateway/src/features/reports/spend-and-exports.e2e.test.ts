import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Scenario } from '../../../test/helpers/analytics-scenario.js';
import { startStory } from '../../../test/helpers/analytics-story.js';
import type { Report, Story } from '../../../test/helpers/analytics-story.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { readSharedFixture } from '../../../test/helpers/shared-fixtures.js';

/** Spend files, CRM outcomes and conversion exports over the story in test/helpers/analytics-story.ts. */
describe('reports: ad spend, deals and conversion exports through the public API', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let story: Story;
  let s: Scenario;
  let calls: Story['calls'];
  const get = (q: string) => story.get(q);
  const byKey = (r: Report, key: string | null) => story.byKey(r, key);
  before(async () => {
    story = await startStory(t.db);
    ({ s, calls } = story);
  });
  after(() => s?.gw.stop());

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
    // Inside the visit's 300 s hold: at its very end the lease may already be swept, which is another case.
    const missed = await s.call('2026-11-22 10:04:00', { from: '+79160000006', to: f.number, talk: null });
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
        DateTime: String(Date.parse('2026-11-22T07:04:00Z') / 1000),
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
      ['1700000000123456789', String(Date.parse('2026-11-22T07:04:00Z') / 1000)],
    ]);
  });
});
