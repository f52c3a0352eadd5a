/**
 * Erlang-B: the share of arrivals blocked in a loss system of `n` servers offered `a` Erlangs
 * (M/G/N/N, insensitive to the holding-time distribution under Poisson arrivals). Stable recurrence:
 * B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
 */
export function erlangB(n: number, a: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(a >= 0)) throw new RangeError(`a must be non-negative, got ${a}`);
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

/** The smallest number of servers whose Erlang-B blocking at load `a` is at or under `target` (0 < target < 1). */
export function erlangBServers(a: number, target: number): number {
  if (!(target > 0 && target < 1)) throw new RangeError(`target must be in (0, 1), got ${target}`);
  if (!(a >= 0)) throw new RangeError(`a must be non-negative, got ${a}`);
  if (a === 0) return 0;
  let b = 1;
  // Bounded: blocking falls below any target once n passes a few times a + 50.
  for (let n = 1; n <= 10 * a + 1000; n++) {
    b = (a * b) / (n + a * b);
    if (b <= target) return n;
  }
  throw new RangeError(`no size up to ${10 * a + 1000} reaches blocking ${target} at ${a} Erlangs`);
}
