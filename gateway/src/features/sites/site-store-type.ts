import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { NewSite, Site, SitePatch } from './site-types.js';

export interface SiteStore {
  create(db: DbOrTrx, site: NewSite): Promise<Site>;
  get(db: DbOrTrx, accountId: string, id: string): Promise<Site | null>;
  /** Across accounts: the widget identifies a site by its public key only. */
  getByPublicKey(db: DbOrTrx, publicKey: string): Promise<Site | null>;
  list(db: DbOrTrx, accountId: string): Promise<Site[]>;
  update(db: DbOrTrx, accountId: string, id: string, patch: SitePatch): Promise<Site | null>;
  delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean>;
}
