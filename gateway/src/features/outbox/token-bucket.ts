/** A rate for one key: `ratePerSec` tokens come back each second, up to `burst` saved. */
export interface RateLimit {
  readonly key: string;
  readonly ratePerSec: number;
  readonly burst: number;
  /** Tokens one delivery takes: the requests it usually makes (a lookup and a create, say). Default 1. */
  readonly cost?: number;
}

/**
 * In-process token buckets, one per key (a CRM account). This is the leaky bucket Bitrix24 and RetailCRM describe,
 * seen from the client side; each replica keeps its own, so the CRM's 503/429 answers stay the backstop.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  /** Takes a token and returns 0, or returns how many ms until one is available (taking nothing). */
  take(limit: RateLimit, nowMs: number): number {
    const b = this.buckets.get(limit.key) ?? { tokens: limit.burst, atMs: nowMs };
    b.tokens = Math.min(limit.burst, b.tokens + ((nowMs - b.atMs) / 1000) * limit.ratePerSec);
    b.atMs = nowMs;
    this.buckets.set(limit.key, b);
    const cost = Math.min(limit.cost ?? 1, limit.burst);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.ceil(((cost - b.tokens) / limit.ratePerSec) * 1000);
  }
}
