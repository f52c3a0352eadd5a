import type { DbOrTrx } from '../../adapters/db/knex.js';
import type {
  NewTrackingNumber,
  NumberProvider,
  NumberStatus,
  TrackingNumber,
  TrackingNumberPatch,
  TrackingNumberStore,
} from './tracking-number-store-type.js';

const TABLE = 'tracking_numbers';
const COLUMNS = [
  'id',
  'account_id',
  'site_id',
  'pool_id',
  'e164',
  'provider',
  'provider_ref',
  'forward_to',
  'status',
  'status_changed_at',
  'quarantined_until',
  'monthly_cost',
  'currency',
  'created_at',
  'updated_at',
] as const;

interface TrackingNumberRow {
  id: string;
  account_id: string;
  site_id: string | null;
  pool_id: string | null;
  e164: string;
  provider: NumberProvider;
  provider_ref: string | null;
  forward_to: string | null;
  status: NumberStatus;
  status_changed_at: Date;
  quarantined_until: Date | null;
  monthly_cost: number | null;
  currency: string | null;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: TrackingNumberRow): TrackingNumber => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  poolId: r.pool_id,
  e164: r.e164,
  provider: r.provider,
  providerRef: r.provider_ref,
  forwardTo: r.forward_to,
  status: r.status,
  statusChangedAt: r.status_changed_at,
  quarantinedUntil: r.quarantined_until,
  monthlyCost: r.monthly_cost === null ? null : Number(r.monthly_cost),
  currency: r.currency,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class PgTrackingNumberStore implements TrackingNumberStore {
  async create(db: DbOrTrx, n: NewTrackingNumber): Promise<TrackingNumber> {
    const [row] = await db(TABLE)
      .insert({
        id: n.id,
        account_id: n.accountId,
        site_id: n.siteId,
        pool_id: n.poolId,
        e164: n.e164,
        provider: n.provider,
        provider_ref: n.providerRef,
        forward_to: n.forwardTo,
        status: n.status,
        quarantined_until: n.quarantinedUntil,
        monthly_cost: n.monthlyCost,
        currency: n.currency,
      })
      .returning(COLUMNS);
    return toDomain(row as TrackingNumberRow);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<TrackingNumber | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as TrackingNumberRow | undefined;
    return row ? toDomain(row) : null;
  }

  async list(
    db: DbOrTrx,
    accountId: string,
    filter: { poolId?: string; siteId?: string; status?: NumberStatus; e164?: string },
  ): Promise<TrackingNumber[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .modify((q) => {
        if (filter.poolId) q.where({ pool_id: filter.poolId });
        if (filter.siteId) q.where({ site_id: filter.siteId });
        if (filter.status) q.where({ status: filter.status });
        if (filter.e164) q.where({ e164: filter.e164 });
      })
      .orderBy('e164')) as TrackingNumberRow[];
    return rows.map(toDomain);
  }

  async listByPool(db: DbOrTrx, poolId: string): Promise<TrackingNumber[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ pool_id: poolId })
      .whereNot({ status: 'released' })
      .orderBy('created_at')
      .orderBy('e164')) as TrackingNumberRow[];
    return rows.map(toDomain);
  }

  /**
   * Two columns instead of every one: a site's configuration reads all of its pools' numbers on each reload (every
   * 30 s), and for a pool of 25,000 the full rows took 1.1-4.2 s of the embedded database's one connection under load.
   */
  async listFormsByPool(db: DbOrTrx, poolId: string): Promise<Pick<TrackingNumber, 'e164' | 'status'>[]> {
    return (await db(TABLE)
      .select('e164', 'status')
      .where({ pool_id: poolId })
      .whereNot({ status: 'released' })
      .orderBy('created_at')
      .orderBy('e164')) as Pick<TrackingNumber, 'e164' | 'status'>[];
  }

  async update(db: DbOrTrx, accountId: string, id: string, patch: TrackingNumberPatch): Promise<TrackingNumber | null> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (patch.siteId !== undefined) changes.site_id = patch.siteId;
    if (patch.poolId !== undefined) changes.pool_id = patch.poolId;
    if (patch.forwardTo !== undefined) changes.forward_to = patch.forwardTo;
    if (patch.providerRef !== undefined) changes.provider_ref = patch.providerRef;
    if (patch.status !== undefined) {
      changes.status = patch.status;
      changes.status_changed_at = db.fn.now();
    }
    if (patch.quarantinedUntil !== undefined) changes.quarantined_until = patch.quarantinedUntil;
    if (patch.monthlyCost !== undefined) changes.monthly_cost = patch.monthlyCost;
    if (patch.currency !== undefined) changes.currency = patch.currency;
    const [row] = await db(TABLE).where({ account_id: accountId, id }).update(changes).returning(COLUMNS);
    return row ? toDomain(row as TrackingNumberRow) : null;
  }

  async endQuarantines(db: DbOrTrx, now: Date): Promise<TrackingNumber[]> {
    const rows = (await db(TABLE)
      .where({ status: 'quarantined' })
      .where('quarantined_until', '<=', now)
      .update({ status: 'active', quarantined_until: null, status_changed_at: now, updated_at: now })
      .returning(COLUMNS)) as TrackingNumberRow[];
    return rows.map(toDomain);
  }
}
