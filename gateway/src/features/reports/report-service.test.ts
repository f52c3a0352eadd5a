import { expect } from 'chai';
import { toCsv } from './report-csv.js';
import { metricsOf, ratio } from './report-service.js';

describe('report metrics', () => {
  const counts = { calls: 4, answered: 3, uniq: 3, firstTime: 2, target: 2, leads: 2, deals: 1, revenue: '1500.00' };

  it('derives ratios, null where the denominator is 0', () => {
    expect(metricsOf(counts, 10, { spend: '300.00', clicks: 20 }, true)).to.deep.equal({
      visits: 10,
      calls: 4,
      answeredCalls: 3,
      missedCalls: 1,
      uniqueCallers: 3,
      firstTimeCallers: 2,
      targetCalls: 2,
      leads: 2,
      deals: 1,
      revenue: 1500,
      spend: 300,
      clicks: 20,
      costPerCall: 75,
      cpl: 150,
      cpa: 300,
      roas: 5,
      romi: 400,
    });
    const none = metricsOf({ ...counts, leads: 0, deals: 0, revenue: '0' }, 0, { spend: '0', clicks: 0 }, true);
    expect(none).to.include({ cpl: null, cpa: null, roas: null, romi: null, costPerCall: 0 });
    const noSpend = metricsOf(counts, null, null, false);
    expect(noSpend).to.include({ spend: null, clicks: null, costPerCall: null, roas: null, romi: null, visits: null });
    expect(metricsOf(undefined, 3, undefined, true)).to.include({ calls: 0, costPerCall: null, spend: 0 });
    expect(ratio(1, 3, 2)).to.equal(0.33);
  });

  it('writes RFC 4180 CSV with CRLF and inert formulas, numbers left as numbers', () => {
    const text = toCsv(
      ['key', 'label', 'romi'],
      [
        ['=1+2', 'a "b", c', -50],
        [null, '@x', null],
      ],
    );
    expect(text).to.equal(`key,label,romi\r\n'=1+2,"a ""b"", c",-50\r\n,'@x,\r\n`);
    expect(toCsv(['k'], [], { bom: true }).startsWith('\uFEFF')).to.equal(true);
  });
});
