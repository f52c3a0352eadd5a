import { expect } from 'chai';
import { apportion, localDay, midnight, siteDaysOf, toSiteDays } from './spend-days.js';

describe('spend days', () => {
  it('apportions whole cents that add up exactly', () => {
    expect(apportion(4_800_000, Array(30).fill(1))).to.deep.equal(Array(30).fill(160_000));
    const p = apportion(1000, [1, 1, 1]);
    expect(p).to.deep.equal([334, 333, 333]);
    expect(apportion(1290, Array(30).fill(1)).reduce((a, b) => a + b, 0)).to.equal(1290);
    expect(apportion(5, [0, 0])).to.deep.equal([0, 0]);
  });

  it('finds local midnights across DST and zones', () => {
    expect(new Date(midnight('2026-11-20', 'Europe/Moscow')).toISOString()).to.equal('2026-11-19T21:00:00.000Z');
    expect(new Date(midnight('2026-03-08', 'America/New_York')).toISOString()).to.equal('2026-03-08T05:00:00.000Z');
    expect(new Date(midnight('2026-03-09', 'America/New_York')).toISOString()).to.equal('2026-03-09T04:00:00.000Z');
    expect(localDay(Date.parse('2026-11-19T21:30:00Z'), 'Europe/Moscow')).to.equal('2026-11-20');
  });

  it('moves a Moscow day onto UTC days by its hours', () => {
    expect(siteDaysOf('2026-11-20', 'Europe/Moscow', 'UTC')).to.deep.equal([
      { date: '2026-11-19', weight: 3 * 3_600_000 },
      { date: '2026-11-20', weight: 21 * 3_600_000 },
    ]);
    expect(siteDaysOf('2026-11-20', 'UTC', 'UTC')).to.deep.equal([{ date: '2026-11-20', weight: 1 }]);
  });

  it('spreads a range evenly and sums lines meeting on a day', () => {
    const utm = { source: 'vk', medium: 'paid_social', campaign: 'retarget_nov', term: '', content: '' };
    const days = toSiteDays(
      [
        { line: 2, from: '2026-11-01', to: '2026-11-30', utm, cents: 4_800_000, currency: 'RUB', clicks: 1290 },
        { line: 3, from: '2026-11-05', to: '2026-11-05', utm, cents: 100, currency: null, clicks: 1 },
      ],
      'Europe/Moscow',
      'Europe/Moscow',
    );
    expect(days).to.have.length(30);
    expect(days.reduce((a, d) => a + d.cents, 0)).to.equal(4_800_100);
    expect(days.find((d) => d.date === '2026-11-05')?.cents).to.equal(160_100);
    expect(days.reduce((a, d) => a + d.clicks, 0)).to.equal(1291);
    expect(days.filter((d) => d.clicks === 43).length, '1290 clicks over 30 days, one more on the 5th').to.equal(29);
  });
});
