import type { DbOrTrx } from '../../adapters/db/knex.js';

export interface LeaseRecord {
  readonly id: string;
  readonly poolId: string;
  readonly trackingNumberId: string;
  readonly e164: string;
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly leasedAt: Date;
  readonly releasedAt: Date | null;
  readonly releaseReason: string | null;
  readonly reclaimedFrom: string | null;
}

interface LeaseRow {
  id: string;
  pool_id: string;
  tracking_number_id: string;
  e164: string;
  session_id: string;
  visitor_id: string | null;
  leased_at: Date;
  released_at: Date | null;
  release_reason: string | null;
  reclaimed_from: string | null;
}

const COLUMNS = [
  'id',
  'pool_id',
  'tracking_number_id',
  'e164',
  'session_id',
  'visitor_id',
  'leased_at',
  'released_at',
  'release_reason',
  'reclaimed_from',
] as const;

const toRecord = (r: LeaseRow): LeaseRecord => ({
  id: r.id,
  poolId: r.pool_id,
  trackingNumberId: r.tracking_number_id,
  e164: r.e164,
  sessionId: r.session_id,
  visitorId: r.visitor_id,
  leasedAt: r.leased_at,
  releasedAt: r.released_at,
  releaseReason: r.release_reason,
  reclaimedFrom: r.reclaimed_from,
});

/** Reads of `number_leases`, the half-open history of who held which number when. */
export class LeaseHistoryReadModel {
  /**
   * The lease of `e164` covering `at` ([leased_at, released_at)), if any: the latest lease that started at or
   * before `at`, through `number_leases_number_time_idx`.
   */
  async holderAt(db: DbOrTrx, accountId: string, e164: string, at: Date): Promise<LeaseRecord | null> {
    const row = (await db('number_leases')
      .select(...COLUMNS)
      .where({ account_id: accountId, e164 })
      .where('leased_at', '<=', at)
      .orderBy('leased_at', 'desc')
      .first()) as LeaseRow | undefined;
    if (!row || (row.released_at !== null && row.released_at <= at)) return null;
    return toRecord(row);
  }
}
