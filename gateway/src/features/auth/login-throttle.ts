import { TooManyRequestsError } from '../../errors/app-error.js';

/** Failures counted within this window. */
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** One address failing this often (any accounts) is refused for the rest of its window: a password sprayer. */
export const PER_ADDRESS_MAX = 50;
/** Failures of one account from one address before each further try waits (1 s, 2 s, 4 s… up to the window). */
export const PAIR_FREE_FAILURES = 5;
/** One account failing this often (any addresses) is refused to the addresses that failed on it, not to others. */
export const PER_ACCOUNT_MAX = 100;
/** Entries kept per map: the oldest are forgotten first, so a flood of made-up emails or addresses cannot grow it. */
export const MAX_ENTRIES = 20_000;

interface Count {
  count: number;
  since: number;
  /** Earliest next try (per account+address backoff). */
  until: number;
}

/** A Map that forgets its least recently written keys past `max`. */
class Bounded {
  private readonly map = new Map<string, Count>();
  constructor(private readonly max: number) {}
  get(key: string, now: number): Count | undefined {
    const c = this.map.get(key);
    if (c && now - c.since >= LOGIN_WINDOW_MS && now >= c.until) {
      this.map.delete(key);
      return undefined;
    }
    return c;
  }
  set(key: string, c: Count): void {
    this.map.delete(key);
    this.map.set(key, c);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * Failed console logins, per address, per account and per account+address, in memory (per process) and bounded.
 * The rule that could lock a real user out (too many failures on their account) applies only to the addresses the
 * failures came from: someone guessing a user's password elsewhere never keeps that user out.
 */
export class LoginThrottle {
  private readonly byAddress: Bounded;
  private readonly byAccount: Bounded;
  private readonly byPair: Bounded;

  constructor(max = MAX_ENTRIES) {
    this.byAddress = new Bounded(max);
    this.byAccount = new Bounded(max);
    this.byPair = new Bounded(max);
  }

  get entries(): number {
    return this.byAddress.size + this.byAccount.size + this.byPair.size;
  }

  /** Throws 429 (with the wait in seconds) when this try may not even be checked. */
  check(email: string, ip: string | null, now: number): void {
    const addr = ip ?? 'unknown';
    const pair = this.byPair.get(`${email}\n${addr}`, now);
    const refuse = (until: number): never => {
      const seconds = Math.max(1, Math.ceil((until - now) / 1000));
      throw new TooManyRequestsError(`Too many failed logins; try again in ${seconds} s`, [{ message: `retry after ${seconds} s` }]);
    };
    const a = this.byAddress.get(addr, now);
    if (a && a.count >= PER_ADDRESS_MAX) refuse(a.since + LOGIN_WINDOW_MS);
    if (pair && now < pair.until) refuse(pair.until);
    const acc = this.byAccount.get(email, now);
    if (acc && acc.count >= PER_ACCOUNT_MAX && pair) refuse(acc.since + LOGIN_WINDOW_MS);
  }

  failed(email: string, ip: string | null, now: number): void {
    const addr = ip ?? 'unknown';
    const bump = (map: Bounded, key: string): Count => {
      const cur = map.get(key, now);
      const next = cur ? { ...cur, count: cur.count + 1 } : { count: 1, since: now, until: 0 };
      map.set(key, next);
      return next;
    };
    bump(this.byAddress, addr);
    bump(this.byAccount, email);
    const pair = bump(this.byPair, `${email}\n${addr}`);
    if (pair.count >= PAIR_FREE_FAILURES) {
      const wait = Math.min(LOGIN_WINDOW_MS, 1000 * 2 ** (pair.count - PAIR_FREE_FAILURES));
      this.byPair.set(`${email}\n${addr}`, { ...pair, until: now + wait });
    }
  }

  succeeded(email: string, ip: string | null): void {
    this.byPair.delete(`${email}\n${ip ?? 'unknown'}`);
  }
}
