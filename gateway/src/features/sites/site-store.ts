import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { SiteStore } from './site-store-type.js';
import { DEFAULT_SITE_SETTINGS } from './site-types.js';
import type { NewSite, Site, SitePatch, SiteSettings } from './site-types.js';

const TABLE = 'sites';
const COLUMNS = [
  'id',
  'account_id',
  'name',
  'public_key',
  'domains',
  'canonical_numbers',
  'default_forward_to',
  'timezone',
  'settings',
  'created_at',
  'updated_at',
] as const;

interface SiteRow {
  id: string;
  account_id: string;
  name: string;
  public_key: string;
  domains: string[];
  canonical_numbers: string[];
  default_forward_to: string | null;
  timezone: string;
  settings: Partial<SiteSettings>;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: SiteRow): Site => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  publicKey: r.public_key,
  domains: r.domains,
  canonicalNumbers: r.canonical_numbers,
  defaultForwardTo: r.default_forward_to,
  timezone: r.timezone,
  settings: { ...DEFAULT_SITE_SETTINGS, ...r.settings },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class PgSiteStore implements SiteStore {
  async create(db: DbOrTrx, s: NewSite): Promise<Site> {
    const [row] = await db(TABLE)
      .insert({
        id: s.id,
        account_id: s.accountId,
        name: s.name,
        public_key: s.publicKey,
        domains: JSON.stringify(s.domains),
        canonical_numbers: JSON.stringify(s.canonicalNumbers),
        default_forward_to: s.defaultForwardTo,
        timezone: s.timezone,
        settings: JSON.stringify(s.settings),
      })
      .returning(COLUMNS);
    return toDomain(row as SiteRow);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<Site | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as SiteRow | undefined;
    return row ? toDomain(row) : null;
  }

  async getByPublicKey(db: DbOrTrx, publicKey: string): Promise<Site | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ public_key: publicKey })
      .first()) as SiteRow | undefined;
    return row ? toDomain(row) : null;
  }

  async list(db: DbOrTrx, accountId: string): Promise<Site[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .orderBy('created_at')) as SiteRow[];
    return rows.map(toDomain);
  }

  async update(db: DbOrTrx, accountId: string, id: string, patch: SitePatch): Promise<Site | null> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.domains !== undefined) changes.domains = JSON.stringify(patch.domains);
    if (patch.canonicalNumbers !== undefined) changes.canonical_numbers = JSON.stringify(patch.canonicalNumbers);
    if (patch.defaultForwardTo !== undefined) changes.default_forward_to = patch.defaultForwardTo;
    if (patch.timezone !== undefined) changes.timezone = patch.timezone;
    if (patch.settings !== undefined) {
      // Merge in SQL so two concurrent partial updates do not overwrite each other's keys.
      changes.settings = db.raw('settings || ?::jsonb', [JSON.stringify(patch.settings)]);
    }
    const [row] = await db(TABLE).where({ account_id: accountId, id }).update(changes).returning(COLUMNS);
    return row ? toDomain(row as SiteRow) : null;
  }

  async delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean> {
    return (await db(TABLE).where({ account_id: accountId, id }).del()) > 0;
  }
}
