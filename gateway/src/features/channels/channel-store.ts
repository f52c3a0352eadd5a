import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Channel, ChannelKind, ChannelPatch, ChannelRule, ChannelStore, NewChannel } from './channel-store-type.js';

const TABLE = 'channels';
const COLUMNS = ['id', 'account_id', 'site_id', 'name', 'kind', 'rules', 'priority', 'created_at', 'updated_at'] as const;

interface ChannelRow {
  id: string;
  account_id: string;
  site_id: string;
  name: string;
  kind: ChannelKind;
  rules: ChannelRule[];
  priority: number;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: ChannelRow): Channel => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  name: r.name,
  kind: r.kind,
  rules: r.rules,
  priority: r.priority,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class PgChannelStore implements ChannelStore {
  async create(db: DbOrTrx, c: NewChannel): Promise<Channel> {
    const [row] = await db(TABLE)
      .insert({
        id: c.id,
        account_id: c.accountId,
        site_id: c.siteId,
        name: c.name,
        kind: c.kind,
        rules: JSON.stringify(c.rules),
        priority: c.priority,
      })
      .returning(COLUMNS);
    return toDomain(row as ChannelRow);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<Channel | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as ChannelRow | undefined;
    return row ? toDomain(row) : null;
  }

  async list(db: DbOrTrx, accountId: string, filter: { siteId?: string }): Promise<Channel[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .modify((q) => {
        if (filter.siteId) q.where({ site_id: filter.siteId });
      })
      .orderBy([{ column: 'priority', order: 'desc' }, { column: 'created_at' }])) as ChannelRow[];
    return rows.map(toDomain);
  }

  async update(db: DbOrTrx, accountId: string, id: string, patch: ChannelPatch): Promise<Channel | null> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.kind !== undefined) changes.kind = patch.kind;
    if (patch.rules !== undefined) changes.rules = JSON.stringify(patch.rules);
    if (patch.priority !== undefined) changes.priority = patch.priority;
    const [row] = await db(TABLE).where({ account_id: accountId, id }).update(changes).returning(COLUMNS);
    return row ? toDomain(row as ChannelRow) : null;
  }

  async delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean> {
    return (await db(TABLE).where({ account_id: accountId, id }).del()) > 0;
  }
}
