import { expect } from 'chai';
import { TooManyRequestsError } from '../../errors/app-error.js';
import { LOGIN_WINDOW_MS, LoginThrottle, PAIR_FREE_FAILURES, PER_ACCOUNT_MAX, PER_ADDRESS_MAX } from './login-throttle.js';

describe('LoginThrottle', () => {
  const refused = (t: LoginThrottle, email: string, ip: string, now: number): boolean => {
    try {
      t.check(email, ip, now);
      return false;
    } catch (err) {
      expect(err).to.be.instanceOf(TooManyRequestsError);
      return true;
    }
  };

  it("backs off one account from one address, and never keeps the account's owner out elsewhere", () => {
    const t = new LoginThrottle();
    const now = 1_000_000;
    for (let i = 0; i < PAIR_FREE_FAILURES - 1; i++) t.failed('a@x', '203.0.113.5', now);
    expect(refused(t, 'a@x', '203.0.113.5', now)).to.equal(false);
    t.failed('a@x', '203.0.113.5', now);
    expect(refused(t, 'a@x', '203.0.113.5', now)).to.equal(true);
    expect(refused(t, 'a@x', '203.0.113.5', now + 1_001)).to.equal(false);
    // Hundreds of failures from many addresses: the addresses that failed wait, a fresh one does not.
    for (let i = 0; i < PER_ACCOUNT_MAX; i++) t.failed('a@x', `198.51.100.${i % 200}`, now + 2_000);
    expect(refused(t, 'a@x', '198.51.100.1', now + 5_000)).to.equal(true);
    expect(refused(t, 'a@x', '192.0.2.77', now + 5_000)).to.equal(false);
    t.succeeded('a@x', '203.0.113.5');
  });

  it('refuses an address that sprays passwords over many accounts', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < PER_ADDRESS_MAX; i++) t.failed(`u${i}@x`, '203.0.113.9', 0);
    expect(refused(t, 'fresh@x', '203.0.113.9', 10)).to.equal(true);
    expect(refused(t, 'fresh@x', '203.0.113.10', 10)).to.equal(false);
    expect(refused(t, 'fresh@x', '203.0.113.9', LOGIN_WINDOW_MS + 1)).to.equal(false);
  });

  it('stays bounded however many emails and addresses fail', () => {
    const t = new LoginThrottle(1_000);
    for (let i = 0; i < 50_000; i++) t.failed(`made-up-${i}@x`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i);
    expect(t.entries).to.be.at.most(3_000);
  });
});
