import { expect } from 'chai';
import { readSharedFixture } from '../../../../test/helpers/shared-fixtures.js';
import { parseGoogleAdsSpend, stripMatchType } from './google-ads-spend.js';
import { parseYandexMetricaSpend } from './yandex-metrica-spend.js';

describe('spend file parsers', () => {
  it('reads the Metrica expense fixture: a day, a range, UTF-8 keywords', () => {
    const out = parseYandexMetricaSpend(readSharedFixture('crm/analytics', 'yandex-metrica-expenses.sample.csv'));
    expect(out.errors).to.deep.equal([]);
    expect(out.rows).to.equal(2);
    expect(out.lines).to.deep.equal([
      {
        line: 2,
        from: '2026-11-20',
        to: '2026-11-20',
        utm: { source: 'google', medium: 'cpc', campaign: 'brand', term: 'купить диван', content: 'ad_1' },
        cents: 1_250_050,
        currency: 'RUB',
        clicks: 310,
      },
      {
        line: 3,
        from: '2026-11-01',
        to: '2026-11-30',
        utm: { source: 'vk', medium: 'paid_social', campaign: 'retarget_nov', term: '', content: '' },
        cents: 4_800_000,
        currency: 'RUB',
        clicks: 1290,
      },
    ]);
  });

  it('honours the time zone line, quoted fields and columns in any order; names every bad line', () => {
    const ok = parseYandexMetricaSpend('Expenses,UTMSource,Date\n"1,500.25","a,b",2026-11-20\nParameters:TimeZone=Asia/Yekaterinburg\n');
    expect(ok.timezone).to.equal('Asia/Yekaterinburg');
    expect(ok.lines[0]).to.include({ cents: 150_025, from: '2026-11-20' });
    expect(ok.lines[0]!.utm.source).to.equal('a,b');
    const bad = parseYandexMetricaSpend(
      'Date,UTMSource,Expenses\n2026-02-30,x,1\n2026-11-20,,1\n2026-11-20,x,-5\n2026-11-20,x,1\nParameters:TimeZone=Mars/Olympus',
    );
    expect(bad.errors.map((e) => e.line)).to.deep.equal([2, 3, 4, 6]);
    expect(parseYandexMetricaSpend('Date,Expenses\n2026-11-20,1').errors[0]!.message).to.match(/lacks utmsource/);
    expect(parseYandexMetricaSpend('"unterminated\n').errors[0]!.message).to.match(/Not a readable CSV/);
  });

  it('reads a Google Ads report with title lines, totals and match-type marks', () => {
    const out = parseGoogleAdsSpend(
      'Campaign report\n"All time"\nDay,Campaign,Campaign ID,Keyword,Cost,Clicks\n2026-11-20,Brand,123,"+buy +sofa",--,0\n2026-11-20,Brand,123,[sofa],12.5,3\nTotal: Campaigns,,,,12.50,3\n',
      { campaignKey: 'id' },
    );
    expect(out.errors).to.deep.equal([]);
    expect(out.lines.map((l) => [l.line, l.utm.campaign, l.utm.term, l.cents, l.clicks])).to.deep.equal([
      [4, '123', 'buy sofa', 0, 0],
      [5, '123', 'sofa', 1250, 3],
    ]);
    expect(stripMatchType('"red sofa"')).to.equal('red sofa');
    expect(parseGoogleAdsSpend('Campaign,Cost\nx,1', { campaignKey: 'name' }).errors[0]!.message).to.match(/No header/);
  });
});
