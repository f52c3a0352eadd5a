import { expect } from 'chai';
import { analyticsClientIds } from './analytics-client-ids.js';

describe('analyticsClientIds: the _ym_uid and _ga cookies as the analytics client ids', () => {
  it('takes the last two dot-parts of _ga as the GA4 client id, and _ym_uid as it is', () => {
    expect(analyticsClientIds({ ga: 'GA1.1.1234567890.1700000000', ym: '1700000000123456789' })).to.deep.equal({
      ga: '1234567890.1700000000',
      ym: '1700000000123456789',
    });
    // Cookie domains with more levels give GA1.2...; an id already extracted is kept as is.
    expect(analyticsClientIds({ ga: 'GA1.2.987654321.1690000000' })).to.deep.equal({ ga: '987654321.1690000000' });
    expect(analyticsClientIds({ ga: '987654321.1690000000' })).to.deep.equal({ ga: '987654321.1690000000' });
  });

  it('drops malformed values instead of refusing the visit', () => {
    expect(analyticsClientIds({ ga: 'GA1.1.abc.1700000000', ym: '12ab' })).to.deep.equal({});
    expect(analyticsClientIds({ ga: '1700000000', ym: 42 })).to.deep.equal({});
    expect(analyticsClientIds({ ga: '<script>.1', ym: '' })).to.deep.equal({});
    expect(analyticsClientIds(undefined)).to.deep.equal({});
  });
});
