/**
 * When to try again after a failed attempt. `delaysMs[n]` is the wait before attempt n+1 (so `delaysMs[0]`, normally 0,
 * is the first attempt); after the last one the row is dead. A jitter of 0.2 spreads each wait over ±20 % so that a
 * CRM coming back after an outage is not hit by every pending row at once.
 */
export interface RetryPolicy {
  readonly delaysMs: readonly number[];
  readonly jitter: number;
}

const S = 1_000;
const M = 60 * S;
const H = 60 * M;

/** The Standard Webhooks schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (about 3 days). */
export const STANDARD_WEBHOOKS_POLICY: RetryPolicy = {
  delaysMs: [0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H],
  jitter: 0.2,
};

export const maxAttempts = (p: RetryPolicy): number => p.delaysMs.length;

/**
 * The time of the next attempt after `attempts` attempts failed, or null when none is left. A server's Retry-After
 * is honoured when it asks for longer than the schedule would wait.
 */
export function nextAttemptAt(p: RetryPolicy, attempts: number, now: Date, random: () => number, retryAfterMs?: number): Date | null {
  const base = p.delaysMs[attempts];
  if (base === undefined) return null;
  const jittered = base * (1 - p.jitter + 2 * p.jitter * random());
  const wait = Math.max(jittered, retryAfterMs ?? 0);
  return new Date(now.getTime() + Math.round(wait));
}
