import type { Db } from '../../adapters/db/knex.js';
import type { Principal } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import type { NumberLeaseService } from './number-lease-service.js';
import type { PoolHealthReadModel } from './pool-health-read-model.js';
import type { PoolService } from './pool-service.js';
import type { PoolMetrics } from './pool-metrics.js';
import { recommendPoolSize, SIZING_WINDOW_DAYS, type SizeRecommendation } from './pool-sizing.js';
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
  /** The one recommended size (`pool-sizing.ts`), over the last 14 days whatever `hours` the window shows. */
  recommendation: SizeRecommendation & { reuseGapSize: number; reuseGapTargetSeconds: number };
}

const RECOMMENDATION_TTL_MS = 10 * 60_000;

/**
 * Pool health: live occupancy from the lease store, history from SQL, and the recommended size from
 * `recommendPoolSize` on the last 14 days, the same figure `/metrics` exports.
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
    const rec = await this.recommendation(pool);
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
      recommendation: { ...rec, reuseGapSize: rec.accuracySize, reuseGapTargetSeconds: pool.settings.reuseGapTargetSeconds },
    };
  }

  private readonly recommendations = new Map<string, { at: number; settings: string; rec: SizeRecommendation }>();

  /**
   * The recommended size of a pool from the last 14 days of leases, blocked visits and calls. Kept for 10 minutes
   * (the per-minute sample would otherwise scan two weeks of history every minute); the API and the gauge read the
   * same entry, so they show the same figure. A settings change recomputes it at once.
   */
  async recommendation(pool: Pool): Promise<SizeRecommendation> {
    const now = this.deps.clock.nowMs();
    const settings = JSON.stringify(pool.settings);
    const hit = this.recommendations.get(pool.id);
    if (hit && hit.settings === settings && now - hit.at < RECOMMENDATION_TTL_MS) return hit.rec;
    const rec = await this.computeRecommendation(pool);
    this.recommendations.set(pool.id, { at: now, settings, rec });
    return rec;
  }

  private async computeRecommendation(pool: Pool): Promise<SizeRecommendation> {
    const since = new Date(this.deps.clock.nowMs() - SIZING_WINDOW_DAYS * 86_400_000);
    const s = await this.deps.readModel.stats(this.deps.db, pool.id, since);
    const delays = await this.deps.readModel.leaveToCallDelays(this.deps.db, pool.id, since);
    return recommendPoolSize(
      { peakArrivalsPerHour: s.peakBucketArrivals * 4, meanLeaseSeconds: s.meanHoldSeconds, leaveToCallSeconds: delays },
      pool.settings,
    );
  }

  /**
   * One sample per session pool: occupancy now and what this process counted since the last sample; refreshes the
   * recommended-size gauge (the 14-day figure the API shows) and the reuse-gap gauge (last 24 hours).
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
