import type { DbOrTrx } from '../../adapters/db/knex.js';
import { DEFAULT_POOL_SETTINGS } from './pool-store-type.js';
import type { NewPool, Pool, PoolKind, PoolPatch, PoolSettings, PoolStore } from './pool-store-type.js';

const TABLE = 'pools';
const COLUMNS = [
  'id',
  'account_id',
  'site_id',
  'channel_id',
  'name',
  'kind',
  'canonical_number',
  'fallback_number',
  'settings',
  'created_at',
  'updated_at',
] as const;

interface PoolRow {
  id: string;
  account_id: string;
  site_id: string;
  channel_id: string | null;
  name: string;
  kind: PoolKind;
  canonical_number: string;
  fallback_number: string | null;
  settings: Partial<PoolSettings>;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: PoolRow): Pool => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  channelId: r.channel_id,
  name: r.name,
  kind: r.kind,
  canonicalNumber: r.canonical_number,
  fallbackNumber: r.fallback_number,
  settings: { ...DEFAULT_POOL_SETTINGS, ...r.settings },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class PgPoolStore implements PoolStore {
  async create(db: DbOrTrx, p: NewPool): Promise<Pool> {
    const [row] = await db(TABLE)
      .insert({
        id: p.id,
        account_id: p.accountId,
        site_id: p.siteId,
        channel_id: p.channelId,
        name: p.name,
        kind: p.kind,
        canonical_number: p.canonicalNumber,
        fallback_number: p.fallbackNumber,
        settings: JSON.stringify(p.settings),
      })
      .returning(COLUMNS);
    return toDomain(row as PoolRow);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<Pool | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as PoolRow | undefined;
    return row ? toDomain(row) : null;
  }

  async getAny(db: DbOrTrx, id: string): Promise<Pool | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ id })
      .first()) as PoolRow | undefined;
    return row ? toDomain(row) : null;
  }

  async list(db: DbOrTrx, accountId: string, filter: { siteId?: string }): Promise<Pool[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .modify((q) => {
        if (filter.siteId) q.where({ site_id: filter.siteId });
      })
      .orderBy('created_at')) as PoolRow[];
    return rows.map(toDomain);
  }

  async listBySite(db: DbOrTrx, siteId: string): Promise<Pool[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ site_id: siteId })
      .orderBy('created_at')) as PoolRow[];
    return rows.map(toDomain);
  }

  async listAll(db: DbOrTrx, filter: { kind?: PoolKind }): Promise<Pool[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .modify((q) => {
        if (filter.kind) q.where({ kind: filter.kind });
      })
      .orderBy('created_at')) as PoolRow[];
    return rows.map(toDomain);
  }

  async update(db: DbOrTrx, accountId: string, id: string, patch: PoolPatch): Promise<Pool | null> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.channelId !== undefined) changes.channel_id = patch.channelId;
    if (patch.canonicalNumber !== undefined) changes.canonical_number = patch.canonicalNumber;
    if (patch.fallbackNumber !== undefined) changes.fallback_number = patch.fallbackNumber;
    if (patch.settings !== undefined) changes.settings = db.raw('settings || ?::jsonb', [JSON.stringify(patch.settings)]);
    const [row] = await db(TABLE).where({ account_id: accountId, id }).update(changes).returning(COLUMNS);
    return row ? toDomain(row as PoolRow) : null;
  }

  async delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean> {
    return (await db(TABLE).where({ account_id: accountId, id }).del()) > 0;
  }
}
