import type { DbOrTrx } from '../../../adapters/db/knex.js';
import { newId } from '../../../shared/ids.js';
import type { UtmKey } from './spend-types.js';

const TABLE = 'ad_spend';
const CHUNK = 500;

export interface SpendRow {
  readonly accountId: string;
  readonly siteId: string;
  readonly date: string;
  readonly utm: UtmKey;
  readonly source: string;
  readonly medium: string;
  readonly channelId: string | null;
  readonly cents: number;
  readonly currency: string;
  readonly clicks: number;
  readonly format: string;
  readonly importedAt: Date;
}

/** Stored ad spend: one row per site, day and UTM key set. */
export class PgSpendStore {
  /** Inserts or replaces each row on (site, day, UTM keys); counts which were new. Runs in the caller's transaction. */
  async replace(db: DbOrTrx, rows: readonly SpendRow[]): Promise<{ inserted: number; replaced: number }> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK).map((r) => ({
        id: newId(),
        account_id: r.accountId,
        site_id: r.siteId,
        spend_date: r.date,
        utm_source: r.utm.source,
        utm_medium: r.utm.medium,
        utm_campaign: r.utm.campaign,
        utm_term: r.utm.term,
        utm_content: r.utm.content,
        source: r.source,
        medium: r.medium,
        channel_id: r.channelId,
        amount: (r.cents / 100).toFixed(2),
        currency: r.currency,
        clicks: r.clicks,
        import_format: r.format,
        imported_at: r.importedAt,
      }));
      // xmax = 0 only on a row this statement inserted; an updated row carries the updating transaction's id.
      const out = (await db(TABLE)
        .insert(chunk)
        .onConflict(['site_id', 'spend_date', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'])
        .merge(['source', 'medium', 'channel_id', 'amount', 'currency', 'clicks', 'import_format', 'imported_at'])
        .returning(db.raw('(xmax = 0) AS inserted'))) as { inserted: boolean }[];
      inserted += out.filter((r) => r.inserted).length;
    }
    return { inserted, replaced: rows.length - inserted };
  }
}
