import type { SimPolicy } from './policies.js';
import type { SizeResult } from './run.js';

/** The largest size searched: the reference's "not reached within ~6A + 30", A = λ·(E[S] + H). */
export function sizeLimit(policy: SimPolicy, visitsPerHour: number, meanSessionS: number): number {
  const a = (visitsPerHour / 3600) * (meanSessionS + policy.holdS);
  return Math.ceil(6 * a + 30);
}

/**
 * Smallest size whose correct share reaches `target`, by bisection over [1, limit] on results cached per size.
 * Accuracy rises with the size on the same traffic (common random numbers keep the noise from breaking that
 * between neighbouring sizes); then the first size at or above the target is confirmed by its lower neighbour.
 */
export async function smallestSize(evaluate: (size: number) => Promise<SizeResult>, target: number, limit: number): Promise<number | null> {
  if ((await evaluate(limit)).correct < target) return null;
  let lo = 0;
  let hi = limit;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((await evaluate(mid)).correct >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}
