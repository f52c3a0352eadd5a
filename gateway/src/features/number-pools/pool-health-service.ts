import type { Db } from '../../adapters/db/knex.js';
import type { Principal } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import { erlangBServers } from './erlang-b.js';
import type { NumberLeaseService } from './number-lease-service.js';
import type { PoolHealthReadModel } from './pool-health-read-model.js';
import type { PoolService } from './pool-service.js';
import type { PoolMetrics } from './pool-metrics.js';
import type { Pool, PoolStore } from './pool-store-type.js';

export interface PoolHealth {
  poolId: string;
  kind: 'session' | 'static';
  live: { size: number; leasable: number; inUse: number; utilisation: number };
  window: {
    hours: number;
    leases: number;
    blocked: number;
    blockedShare: number;
    reclaims: number;
    peakInUse: number;
    peakArrivalsPerHour: number;
    meanHoldSeconds: number | null;
    reuseGapSeconds: { median: number; p5: number; samples: number } | null;
  };
  /** Over time: 15-minute buckets for windows up to two days, hourly beyond. */
  series: { at: string; size: number; peakInUse: number; leases: number; blocked: number; reclaims: number }[];
  recommendation: {
    offeredLoadErlangs: number;
    erlangBSize: number;
    reuseGapSize: number;
    recommendedSize: number;
    blockingTarget: number;
    reuseGapTargetSeconds: number;
  };
}

/**
 * Pool health: live occupancy from the lease store, history from SQL, and a recommended size:
 * max(Erlang-B⁻¹(A, target), λ·(hold + reuse-gap target)) with A = λ_peak · mean hold (reference §4).
 */
export class PoolHealthService {
  constructor(
    private readonly deps: {
      db: Db;
      pools: PoolService;
      poolStore: PoolStore;
      numbers: TrackingNumberStore;
      leases: NumberLeaseService;
      readModel: PoolHealthReadModel;
      metrics: PoolMetrics;
      clock: Clock;
    },
  ) {}

  async get(actor: Principal, poolId: string, hours: number): Promise<PoolHealth> {
    return this.of(await this.deps.pools.get(actor, poolId), hours);
  }

  private async of(pool: Pool, hours: number): Promise<PoolHealth> {
    let live: PoolHealth['live'];
    if (pool.kind === 'session') {
      const o = await this.deps.leases.occupancy(pool);
      live = { ...o, utilisation: o.size ? o.inUse / o.size : 0 };
    } else {
      const nums = await this.deps.numbers.listByPool(this.deps.db, pool.id);
      live = { size: nums.length, leasable: nums.filter((n) => n.status === 'active').length, inUse: 0, utilisation: 0 };
    }
    const since = new Date(this.deps.clock.nowMs() - hours * 3_600_000);
    const s = await this.deps.readModel.stats(this.deps.db, pool.id, since);
    const series = await this.deps.readModel.series(this.deps.db, pool.id, since, hours <= 48 ? 15 : 60);
    const lambdaPerHour = s.peakBucketArrivals * 4;
    const holdS = s.meanHoldSeconds ?? pool.settings.activeWindowSeconds + pool.settings.holdSeconds;
    const a = (lambdaPerHour / 3600) * holdS;
    const erlang = erlangBServers(a, pool.settings.blockingTarget);
    const reuse = Math.ceil((lambdaPerHour / 3600) * (holdS + pool.settings.reuseGapTargetSeconds));
    const visits = s.leases + s.blocked;
    return {
      poolId: pool.id,
      kind: pool.kind,
      live,
      window: {
        hours,
        leases: s.leases,
        blocked: s.blocked,
        blockedShare: visits ? s.blocked / visits : 0,
        reclaims: s.reclaims,
        peakInUse: Math.max(s.peakInUse, live.inUse),
        peakArrivalsPerHour: lambdaPerHour,
        meanHoldSeconds: s.meanHoldSeconds,
        reuseGapSeconds: s.reuseGap,
      },
      series: series.map((p) => ({ ...p, at: p.at.toISOString() })),
      recommendation: {
        offeredLoadErlangs: a,
        erlangBSize: erlang,
        reuseGapSize: reuse,
        recommendedSize: Math.max(erlang, reuse, 1),
        blockingTarget: pool.settings.blockingTarget,
        reuseGapTargetSeconds: pool.settings.reuseGapTargetSeconds,
      },
    };
  }

  /**
   * One sample per session pool: occupancy now and what this process counted since the last sample; refreshes the
   * recommended-size and reuse-gap gauges from the last 24 hours.
   */
  async sample(): Promise<number> {
    const now = this.deps.clock.now();
    const counters = this.deps.leases.takeCounters();
    const pools = await this.deps.poolStore.listAll(this.deps.db, { kind: 'session' });
    const samples = [];
    for (const pool of pools) {
      const o = await this.deps.leases.occupancy(pool);
      const c = counters.get(pool.id) ?? { leases: 0, blocked: 0, reclaims: 0 };
      samples.push({ accountId: pool.accountId, poolId: pool.id, at: now, size: o.size, inUse: o.inUse, ...c });
    }
    await this.deps.readModel.record(this.deps.db, samples);
    for (const pool of pools) {
      const h = await this.of(pool, 24);
      this.deps.metrics.health(pool.id, {
        recommendedSize: h.recommendation.recommendedSize,
        reuseGapMedianSeconds: h.window.reuseGapSeconds?.median ?? null,
      });
    }
    return samples.length;
  }
}
