import { expect } from 'chai';
import { STANDARD_WEBHOOKS_POLICY, maxAttempts, nextAttemptAt } from './retry-policy.js';

describe('retry policy', () => {
  const now = new Date('2026-11-20T00:00:00Z');

  it('spreads about three days over ten attempts', () => {
    expect(maxAttempts(STANDARD_WEBHOOKS_POLICY)).to.equal(10);
    const total = STANDARD_WEBHOOKS_POLICY.delaysMs.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).to.be.within(72, 80);
  });

  it('applies jitter within the configured band', () => {
    const low = nextAttemptAt(STANDARD_WEBHOOKS_POLICY, 2, now, () => 0)!;
    const high = nextAttemptAt(STANDARD_WEBHOOKS_POLICY, 2, now, () => 1)!;
    expect(low.getTime() - now.getTime()).to.equal(240_000);
    expect(high.getTime() - now.getTime()).to.equal(360_000);
  });

  it('honours a longer Retry-After and gives up after the last attempt', () => {
    const at = nextAttemptAt(STANDARD_WEBHOOKS_POLICY, 1, now, () => 0.5, 60_000)!;
    expect(at.getTime() - now.getTime()).to.equal(60_000);
    expect(nextAttemptAt(STANDARD_WEBHOOKS_POLICY, 10, now, () => 0.5)).to.equal(null);
  });
});
