import type { DbOrTrx } from '../../adapters/db/knex.js';

const TABLE = 'blocked_callers';
const COLUMNS = ['id', 'account_id', 'site_id', 'e164', 'reason', 'created_at'] as const;

export interface BlockedCaller {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  readonly e164: string;
  readonly reason: string;
  readonly createdAt: Date;
}

interface Row {
  id: string;
  account_id: string;
  site_id: string;
  e164: string;
  reason: string;
  created_at: Date;
}

const toDomain = (r: Row): BlockedCaller => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  e164: r.e164,
  reason: r.reason,
  createdAt: r.created_at,
});

/** Spam and blocked callers per site: refused politely, their calls still logged. */
export class PgBlockedCallerStore {
  async add(db: DbOrTrx, b: Omit<BlockedCaller, 'createdAt'>): Promise<BlockedCaller> {
    const [row] = (await db(TABLE)
      .insert({ id: b.id, account_id: b.accountId, site_id: b.siteId, e164: b.e164, reason: b.reason })
      .onConflict(['site_id', 'e164'])
      .merge({ reason: b.reason })
      .returning(COLUMNS)) as Row[];
    return toDomain(row!);
  }

  async remove(db: DbOrTrx, accountId: string, siteId: string, e164: string): Promise<boolean> {
    return (await db(TABLE).where({ account_id: accountId, site_id: siteId, e164 }).del()) > 0;
  }

  async list(db: DbOrTrx, accountId: string, siteId?: string): Promise<BlockedCaller[]> {
    const q = db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId });
    if (siteId) q.where({ site_id: siteId });
    return ((await q.orderBy('created_at')) as Row[]).map(toDomain);
  }

  async isBlocked(db: DbOrTrx, accountId: string, siteId: string, e164: string): Promise<boolean> {
    return Boolean(await db(TABLE).where({ account_id: accountId, site_id: siteId, e164 }).first('id'));
  }

  /** `isBlocked` for many callers in one query, in the order given. */
  async blockedMany(db: DbOrTrx, items: readonly { accountId: string; siteId: string; e164: string }[]): Promise<boolean[]> {
    if (!items.length) return [];
    const rows = (await db(TABLE)
      .select('account_id', 'site_id', 'e164')
      .whereIn(
        ['account_id', 'site_id', 'e164'],
        items.map((it) => [it.accountId, it.siteId, it.e164]),
      )) as { account_id: string; site_id: string; e164: string }[];
    const found = new Set(rows.map((r) => `${r.account_id}|${r.site_id}|${r.e164}`));
    return items.map((it) => found.has(`${it.accountId}|${it.siteId}|${it.e164}`));
  }

  /** Every blocked caller, for the in-memory routing table. */
  async listAll(db: DbOrTrx): Promise<BlockedCaller[]> {
    return ((await db(TABLE).select(...COLUMNS)) as Row[]).map(toDomain);
  }

  async siteExists(db: DbOrTrx, accountId: string, siteId: string): Promise<boolean> {
    return Boolean(await db('sites').where({ account_id: accountId, id: siteId }).first('id'));
  }
}
