import type { Db } from '../../../adapters/db/knex.js';
import { AppError, NotFoundError } from '../../../errors/app-error.js';
import type { Principal } from '../../../http/principal.js';
import type { Clock } from '../../../shared/clock.js';
import type { ChannelStore } from '../../channels/channel-store-type.js';
import type { SiteStore } from '../../sites/site-store-type.js';
import { classifyVisit, matchChannel } from '../../dni/visit-classifier.js';
import { parseGoogleAdsSpend } from './google-ads-spend.js';
import { toSiteDays } from './spend-days.js';
import type { PgSpendStore, SpendRow } from './spend-store.js';
import type { LineError, ParsedSpendFile, SpendFormat, UtmKey } from './spend-types.js';
import { parseYandexMetricaSpend } from './yandex-metrica-spend.js';

/** 422 with every bad line: `errors: [{line, message}]` next to the usual `{id, name, message, details}`. */
export class SpendFileError extends AppError {
  readonly statusCode = 422;
  constructor(readonly errors: readonly LineError[]) {
    super(
      `The spend file has ${errors.length} bad line(s); nothing was stored`,
      errors.map((e) => ({ path: `line/${e.line}`, message: e.message })),
    );
  }
  override toJSON() {
    return { ...super.toJSON(), errors: this.errors.map((e) => ({ ...e })) };
  }
}

export interface SpendImportResult {
  readonly rows: number;
  readonly inserted: number;
  readonly replaced: number;
}

/**
 * Ad spend import: the whole file is checked first and stored in one transaction, or nothing is stored. Each line's
 * UTM values go through the same classifier and channel rules as a landing URL, so spend lands in the channel a
 * visit with those tags lands in.
 */
export class SpendImportService {
  constructor(private readonly deps: { db: Db; sites: SiteStore; channels: ChannelStore; spend: PgSpendStore; clock: Clock }) {}

  async import(
    principal: Principal,
    siteId: string,
    format: SpendFormat,
    text: string,
    opts: { campaignKey: 'name' | 'id' },
  ): Promise<SpendImportResult> {
    const { db } = this.deps;
    const site = await this.deps.sites.get(db, principal.accountId, siteId);
    if (!site) throw new NotFoundError('Site not found');
    const parsed: ParsedSpendFile = format === 'google-ads' ? parseGoogleAdsSpend(text, opts) : parseYandexMetricaSpend(text);
    const currency = site.settings.currency;
    const errors = [...parsed.errors];
    for (const l of parsed.lines)
      if (l.currency !== null && l.currency !== currency)
        errors.push({ line: l.line, message: `Currency ${l.currency} is not the site's currency ${currency}` });
    if (!errors.length && parsed.rows === 0) errors.push({ line: 1, message: 'The file has no cost lines' });
    if (errors.length) throw new SpendFileError(errors.sort((a, b) => a.line - b.line));

    const days = toSiteDays(parsed.lines, parsed.timezone ?? site.timezone, site.timezone);
    const channels = await this.deps.channels.list(db, site.accountId, { siteId: site.id });
    const host = site.domains[0]?.replace(/^\*\./, '').split(':')[0] ?? 'site.invalid';
    const classified = new Map<string, { source: string; medium: string; channelId: string | null }>();
    const classify = (u: UtmKey) => {
      const key = JSON.stringify(u);
      let hit = classified.get(key);
      if (!hit) {
        const url = new URL(`https://${host}/`);
        for (const [name, v] of Object.entries({
          utm_source: u.source,
          utm_medium: u.medium,
          utm_campaign: u.campaign,
          utm_term: u.term,
          utm_content: u.content,
        }))
          if (v) url.searchParams.set(name, v);
        const visit = classifyVisit({ pageUrl: url.href, referrer: null, siteDomains: [host] });
        hit = { source: visit.source, medium: visit.medium, channelId: matchChannel(visit, channels)?.id ?? null };
        classified.set(key, hit);
      }
      return hit;
    };
    const now = this.deps.clock.now();
    const rows: SpendRow[] = days.map((d) => ({
      accountId: site.accountId,
      siteId: site.id,
      date: d.date,
      utm: d.utm,
      ...classify(d.utm),
      cents: d.cents,
      currency,
      clicks: d.clicks,
      format,
      importedAt: now,
    }));
    const out = await db.transaction((trx) => this.deps.spend.replace(trx, rows));
    return { rows: parsed.rows, ...out };
  }
}
