import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** A seeded random source (xoroshiro128+ from pure-rand), so every policy and size sees the same traffic. */
export class Rng {
  private readonly g: RandomGenerator;
  constructor(seed: number) {
    this.g = xoroshiro128plus(seed);
  }
  /** Uniform in (0, 1): never 0, so logarithms stay finite. */
  next(): number {
    let u = uniformFloat64(this.g);
    while (u === 0) u = uniformFloat64(this.g);
    return u;
  }
  exp(mean: number): number {
    return -Math.log(this.next()) * mean;
  }
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Γ(x) by the Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for the shapes used here. */
export function gamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return Math.sqrt(2 * Math.PI) * t ** (z + 0.5) * Math.exp(-t) * a;
}

/** Draws of a visit length with the given mean: Weibull (shape k), exponential, or log-normal (σ). */
export type LengthDistribution =
  | { readonly kind: 'weibull'; readonly shape: number; readonly mean: number }
  | { readonly kind: 'exponential'; readonly mean: number }
  | { readonly kind: 'lognormal'; readonly sigma: number; readonly mean: number };

export function sampler(d: LengthDistribution, rng: Rng): () => number {
  switch (d.kind) {
    case 'weibull': {
      const scale = d.mean / gamma(1 + 1 / d.shape);
      return () => scale * (-Math.log(rng.next())) ** (1 / d.shape);
    }
    case 'exponential':
      return () => rng.exp(d.mean);
    case 'lognormal': {
      const mu = Math.log(d.mean) - (d.sigma * d.sigma) / 2;
      return () => {
        // Box–Muller.
        const z = Math.sqrt(-2 * Math.log(rng.next())) * Math.cos(2 * Math.PI * rng.next());
        return Math.exp(mu + d.sigma * z);
      };
    }
  }
}
