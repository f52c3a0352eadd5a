import { expect } from 'chai';
import { TokenBuckets } from './token-bucket.js';

describe('TokenBuckets', () => {
  it('allows the burst, then the sustained rate', () => {
    const b = new TokenBuckets();
    const limit = { key: 'portal', ratePerSec: 2, burst: 3 };
    expect([b.take(limit, 0), b.take(limit, 0), b.take(limit, 0)]).to.deep.equal([0, 0, 0]);
    expect(b.take(limit, 0)).to.equal(500);
    expect(b.take(limit, 500)).to.equal(0);
    expect(b.take(limit, 500)).to.be.greaterThan(0);
  });

  it('charges a delivery for the requests it makes', () => {
    const b = new TokenBuckets();
    const limit = { key: 'portal', ratePerSec: 2, burst: 4, cost: 2 };
    expect([b.take(limit, 0), b.take(limit, 0)]).to.deep.equal([0, 0]);
    expect(b.take(limit, 0)).to.equal(1000);
  });

  it('keeps keys apart', () => {
    const b = new TokenBuckets();
    expect(b.take({ key: 'a', ratePerSec: 1, burst: 1 }, 0)).to.equal(0);
    expect(b.take({ key: 'b', ratePerSec: 1, burst: 1 }, 0)).to.equal(0);
    expect(b.take({ key: 'a', ratePerSec: 1, burst: 1 }, 0)).to.equal(1000);
  });
});
