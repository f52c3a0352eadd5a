import type { DbOrTrx } from '../../adapters/db/knex.js';

const TABLE = 'tracking_numbers';
const COLUMNS = ['id', 'account_id', 'site_id', 'pool_id', 'e164', 'provider', 'provider_ref', 'forward_to', 'status', 'created_at'] as const;

/** A tracking number bought from Twilio (the rows of `tracking_numbers` with provider 'twilio'). */
export interface TwilioTrackingNumber {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly poolId: string | null;
  readonly e164: string;
  readonly providerRef: string | null;
  readonly forwardTo: string | null;
  readonly status: 'active' | 'paused' | 'quarantined' | 'released';
  readonly createdAt: Date;
}

interface Row {
  id: string;
  account_id: string;
  site_id: string | null;
  pool_id: string | null;
  e164: string;
  provider: string;
  provider_ref: string | null;
  forward_to: string | null;
  status: TwilioTrackingNumber['status'];
  created_at: Date;
}

const toDomain = (r: Row): TwilioTrackingNumber => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  poolId: r.pool_id,
  e164: r.e164,
  providerRef: r.provider_ref,
  forwardTo: r.forward_to,
  status: r.status,
  createdAt: r.created_at,
});

/**
 * The few writes buying, re-pointing and releasing need. Pools and leases own the rest of this table's life.
 */
export class PgTwilioNumberStore {
  async insert(db: DbOrTrx, n: Omit<TwilioTrackingNumber, 'status' | 'createdAt'>): Promise<TwilioTrackingNumber> {
    const [row] = (await db(TABLE)
      .insert({
        id: n.id,
        account_id: n.accountId,
        site_id: n.siteId,
        pool_id: n.poolId,
        e164: n.e164,
        provider: 'twilio',
        provider_ref: n.providerRef,
        forward_to: n.forwardTo,
      })
      .returning(COLUMNS)) as Row[];
    return toDomain(row!);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<TwilioTrackingNumber | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id, provider: 'twilio' })
      .first()) as Row | undefined;
    return row ? toDomain(row) : null;
  }

  async update(
    db: DbOrTrx,
    accountId: string,
    id: string,
    p: { forwardTo?: string | null; poolId?: string | null },
  ): Promise<TwilioTrackingNumber | null> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (p.forwardTo !== undefined) changes.forward_to = p.forwardTo;
    if (p.poolId !== undefined) changes.pool_id = p.poolId;
    const [row] = (await db(TABLE).where({ account_id: accountId, id, provider: 'twilio' }).update(changes).returning(COLUMNS)) as Row[];
    return row ? toDomain(row) : null;
  }

  async markReleased(db: DbOrTrx, accountId: string, id: string): Promise<void> {
    await db(TABLE).where({ account_id: accountId, id }).update({ status: 'released', status_changed_at: db.fn.now(), updated_at: db.fn.now() });
  }

  /** The pool's site when the pool belongs to this account. */
  async poolSite(db: DbOrTrx, accountId: string, poolId: string): Promise<string | null> {
    const row = (await db('pools').select('site_id').where({ account_id: accountId, id: poolId }).first()) as { site_id: string } | undefined;
    return row?.site_id ?? null;
  }

  async siteExists(db: DbOrTrx, accountId: string, siteId: string): Promise<boolean> {
    return Boolean(await db('sites').where({ account_id: accountId, id: siteId }).first('id'));
  }

  /** The oldest account: the one TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN belong to. */
  async defaultAccountId(db: DbOrTrx): Promise<string | null> {
    const row = (await db('accounts')
      .select('id')
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .first()) as { id: string } | undefined;
    return row?.id ?? null;
  }
}
