import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';

export interface PoolHistoryStats {
  leases: number;
  blocked: number;
  reclaims: number;
  peakInUse: number;
  /** Leases + blocked visits in the busiest 15-minute bucket. */
  peakBucketArrivals: number;
  meanHoldSeconds: number | null;
  reuseGap: { median: number; p5: number; samples: number } | null;
}

export interface HealthSample {
  accountId: string;
  poolId: string;
  at: Date;
  size: number;
  inUse: number;
  leases: number;
  blocked: number;
  reclaims: number;
}

export interface HealthPoint {
  at: Date;
  size: number;
  peakInUse: number;
  leases: number;
  blocked: number;
  reclaims: number;
}

const BUCKET = "date_bin('15 minutes', %s, timestamptz '2000-01-01')";

/** Cross-table reads for pool health: lease history (`number_leases`) and samples (`pool_health_samples`). */
export class PoolHealthReadModel {
  async record(db: DbOrTrx, samples: readonly HealthSample[]): Promise<void> {
    if (!samples.length) return;
    await db('pool_health_samples').insert(
      samples.map((s) => ({
        id: newId(),
        account_id: s.accountId,
        pool_id: s.poolId,
        at: s.at,
        size: s.size,
        in_use: s.inUse,
        leases: s.leases,
        blocked: s.blocked,
        reclaims: s.reclaims,
      })),
    );
  }

  /** The samples in buckets of `bucketMinutes`: peak occupancy and the counts of each bucket, oldest first. */
  async series(db: DbOrTrx, poolId: string, since: Date, bucketMinutes: number): Promise<HealthPoint[]> {
    const rows = (
      await db.raw(
        `select date_bin(make_interval(mins => ?), at, timestamptz '2000-01-01') as b, max(size)::int as size,
                max(in_use)::int as in_use, sum(leases)::int as leases, sum(blocked)::int as blocked, sum(reclaims)::int as reclaims
           from pool_health_samples where pool_id = ? and at >= ? group by 1 order by 1`,
        [bucketMinutes, poolId, since],
      )
    ).rows as { b: Date; size: number; in_use: number; leases: number; blocked: number; reclaims: number }[];
    return rows.map((r) => ({
      at: new Date(r.b),
      size: r.size,
      peakInUse: r.in_use,
      leases: r.leases,
      blocked: r.blocked,
      reclaims: r.reclaims,
    }));
  }

  async stats(db: DbOrTrx, poolId: string, since: Date): Promise<PoolHistoryStats> {
    const totals = (await db('pool_health_samples')
      .where({ pool_id: poolId })
      .where('at', '>=', since)
      .select(
        db.raw('coalesce(sum(blocked), 0)::int as blocked'),
        db.raw('coalesce(sum(reclaims), 0)::int as reclaims'),
        db.raw('coalesce(max(in_use), 0)::int as peak_in_use'),
      )
      .first()) as { blocked: number; reclaims: number; peak_in_use: number };
    const leaseBuckets = (
      await db.raw(
        `select ${BUCKET.replace('%s', 'leased_at')} as b, count(*)::int as n from number_leases where pool_id = ? and leased_at >= ? group by 1`,
        [poolId, since],
      )
    ).rows as { b: Date; n: number }[];
    const blockedBuckets = (
      await db.raw(
        `select ${BUCKET.replace('%s', 'at')} as b, sum(blocked)::int as n from pool_health_samples where pool_id = ? and at >= ? group by 1`,
        [poolId, since],
      )
    ).rows as { b: Date; n: number }[];
    const arrivals = new Map<number, number>();
    for (const r of [...leaseBuckets, ...blockedBuckets]) arrivals.set(new Date(r.b).getTime(), (arrivals.get(new Date(r.b).getTime()) ?? 0) + r.n);
    const hold = (await db('number_leases')
      .where({ pool_id: poolId })
      .where('leased_at', '>=', since)
      .whereNotNull('released_at')
      .select(db.raw('avg(extract(epoch from released_at - leased_at))::float8 as mean'), db.raw('count(*)::int as n'))
      .first()) as { mean: number | null; n: number };
    const leases = leaseBuckets.reduce((s, r) => s + r.n, 0);
    const gap = (
      await db.raw(
        `select percentile_cont(0.5) within group (order by gap)::float8 as median,
                percentile_cont(0.05) within group (order by gap)::float8 as p5, count(*)::int as n
           from (select extract(epoch from leased_at - lag(released_at) over (partition by tracking_number_id order by leased_at)) as gap
                   from number_leases where pool_id = ? and leased_at >= ?) g
          where gap is not null`,
        [poolId, since],
      )
    ).rows[0] as { median: number | null; p5: number | null; n: number };
    return {
      leases,
      blocked: totals.blocked,
      reclaims: totals.reclaims,
      peakInUse: totals.peak_in_use,
      peakBucketArrivals: Math.max(0, ...arrivals.values()),
      meanHoldSeconds: hold.mean === null ? null : Number(hold.mean),
      reuseGap: gap.n ? { median: Number(gap.median), p5: Number(gap.p5), samples: gap.n } : null,
    };
  }

  /**
   * Leave→call delays of the pool's calls since `since`, s: 0 for a call a lease covered or a tel: click matched
   * (made during the visit), the time from the end of the session's lease of that number for a call credited to
   * the last holder. Calls matched by caller history or not at all say nothing about the delay and are left out.
   */
  async leaveToCallDelays(db: DbOrTrx, poolId: string, since: Date): Promise<number[]> {
    const rows = (
      await db.raw(
        `select case when c.attribution->>'method' in ('lease', 'tel_click') then 0
                     else greatest(0, extract(epoch from c.started_at - l.released_at)) end::float8 as d
           from calls c
           join tracking_numbers n on n.id = c.tracking_number_id
           left join lateral (
             select released_at from number_leases l
              where l.session_id = c.session_id and l.e164 = c.tracking_e164 and l.released_at <= c.started_at
              order by l.released_at desc limit 1) l on true
          where n.pool_id = ? and c.started_at >= ? and c.attribution->>'method' in ('lease', 'tel_click', 'last_holder')`,
        [poolId, since],
      )
    ).rows as { d: number | null }[];
    return rows.flatMap((r) => (r.d === null ? [] : [Number(r.d)]));
  }
}
