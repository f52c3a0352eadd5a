import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Prometheus view of the lease engine, labelled by pool id. */
export interface PoolMetrics {
  leaseOp(poolId: string, op: 'lease' | 'heartbeat' | 'release', outcome: string): void;
  blocked(poolId: string): void;
  reclaimed(poolId: string): void;
  occupancy(poolId: string, size: number, inUse: number): void;
  health(poolId: string, h: { recommendedSize: number; reuseGapMedianSeconds: number | null }): void;
}

export function createPoolMetrics(registry: Registry): PoolMetrics {
  const ops = new Counter({
    name: 'gateway_pool_lease_ops_total',
    help: 'Lease engine operations by pool, operation and outcome (free, sticky, renewed, reclaimed, blocked, ok, none)',
    labelNames: ['pool', 'op', 'outcome'] as const,
    registers: [registry],
  });
  const opChildren = new Map<string, ReturnType<typeof ops.labels>>();
  const blocked = new Counter({
    name: 'gateway_pool_blocked_visits_total',
    help: 'Visits shown the fallback number because the pool had no number to give',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const reclaims = new Counter({
    name: 'gateway_pool_reclaims_total',
    help: 'Numbers taken from an inactive holder to serve a new visitor',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const size = new Gauge({
    name: 'gateway_pool_size',
    help: 'Numbers in the pool (active and paused)',
    // The same pool state in every process of a cluster: not summed across them.
    aggregator: 'max',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const inUse = new Gauge({
    name: 'gateway_pool_in_use',
    help: 'Numbers held by a live lease',
    // The same pool state in every process of a cluster: not summed across them.
    aggregator: 'max',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const utilisation = new Gauge({
    name: 'gateway_pool_utilisation_ratio',
    help: 'Numbers in use / pool size',
    // The same pool state in every process of a cluster: not summed across them.
    aggregator: 'max',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const recommended = new Gauge({
    name: 'gateway_pool_recommended_size',
    help: 'Recommended pool size over the last 14 days (the API figure): max(Erlang-B for the blocking target, size for the accuracy target)',
    // The same pool state in every process of a cluster: not summed across them.
    aggregator: 'max',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const reuseGap = new Gauge({
    name: 'gateway_pool_reuse_gap_median_seconds',
    help: 'Median time from a release to the next lease of the same number over the last 24 h',
    // The same pool state in every process of a cluster: not summed across them.
    aggregator: 'max',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  return {
    health(pool, h) {
      recommended.set({ pool }, h.recommendedSize);
      if (h.reuseGapMedianSeconds !== null) reuseGap.set({ pool }, h.reuseGapMedianSeconds);
    },
    leaseOp(pool, op, outcome) {
      // One resolved label set per pool, operation and outcome: this runs on every visit.
      const key = `${pool}\n${op}\n${outcome}`;
      let c = opChildren.get(key);
      if (!c) {
        if (opChildren.size >= 10_000) opChildren.clear();
        c = ops.labels({ pool, op, outcome });
        opChildren.set(key, c);
      }
      c.inc();
    },
    blocked: (pool) => blocked.inc({ pool }),
    reclaimed: (pool) => reclaims.inc({ pool }),
    occupancy(pool, n, used) {
      size.set({ pool }, n);
      inUse.set({ pool }, used);
      utilisation.set({ pool }, n ? used / n : 0);
    },
  };
}

/** For unit tests and tools. */
export const noPoolMetrics: PoolMetrics = {
  leaseOp: () => undefined,
  blocked: () => undefined,
  reclaimed: () => undefined,
  occupancy: () => undefined,
  health: () => undefined,
};
