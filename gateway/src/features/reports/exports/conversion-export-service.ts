import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../../adapters/db/knex.js';
import type { Principal } from '../../../http/principal.js';
import { safeText } from '../report-csv.js';
import type { ReportReadModel } from '../report-read-model.js';
import { checkPeriod } from '../report-service.js';
import type { ReportService } from '../report-service.js';
import type { ConversionExportReadModel } from './conversion-export-read-model.js';

/** Column order of the fixtures (shared/fixtures/crm/analytics/*.sample.csv), which the platforms' importers expect. */
export const GOOGLE_ADS_CLICK_HEADER = ['Google Click ID', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'] as const;
export const METRICA_CALLS_HEADER = [
  'ClientId',
  'DateTime',
  'StaticCall',
  'Price',
  'Currency',
  'PhoneNumber',
  'TalkDuration',
  'HoldDuration',
  'CallMissed',
  'Tag',
  'FirstTimeCaller',
  'URL',
  'CallTrackerURL',
] as const;
export const METRICA_CONVERSIONS_HEADER = ['ClientId', 'Target', 'DateTime', 'Price', 'Currency'] as const;

export interface GoogleAdsExportOptions {
  readonly callConversionName: string;
  readonly dealConversionName: string;
  /** Value of a target call; null leaves the column empty (the conversion action's default value applies). */
  readonly callValue: number | null;
}

export interface MetricaExportOptions {
  readonly kind: 'calls' | 'conversions';
  readonly idType: 'ClientId' | 'Yclid';
  readonly target: string;
}

/** "1500", "1500.5": the platforms read a point decimal without thousands separators. */
const amount = (s: string | null): string => (s === null ? '' : String(Number(s)));

/**
 * Files the ad platforms import, byte for byte in the fixtures' shape: LF line ends, quoting only where a value needs
 * it (csv-stringify), conversion names that look like formulas made inert. Unix seconds in Metrica (UTC by definition); local times in
 * the site's zone with a `Parameters:TimeZone=` line for Google Ads.
 */
export class ConversionExportService {
  constructor(
    private readonly deps: { db: Db; reports: ReportService; readModel: ReportReadModel; exports: ConversionExportReadModel; publicBaseUrl: URL },
  ) {}

  private async scope(principal: Principal, siteId: string, from: string, to: string) {
    checkPeriod(from, to);
    const site = await this.deps.reports.site(principal, siteId);
    const { lo, hi } = await this.deps.readModel.bounds(this.deps.db, site.timezone, from, to);
    return { site, scope: { accountId: site.accountId, siteId: site.id, lo, hi, timezone: site.timezone } };
  }

  /** Click conversions by gclid: target calls (at call time) and won deals (at the time the CRM reported the win). */
  async googleAds(principal: Principal, siteId: string, from: string, to: string, o: GoogleAdsExportOptions): Promise<string> {
    const { site, scope } = await this.scope(principal, siteId, from, to);
    const [calls, deals] = await Promise.all([this.deps.exports.calls(this.deps.db, scope), this.deps.exports.deals(this.deps.db, scope)]);
    const rows: string[][] = [];
    for (const c of calls) {
      if (!c.gclid || !c.answered || c.talkSeconds < site.targetCallMinTalkSeconds) continue;
      rows.push([
        c.gclid,
        safeText(o.callConversionName),
        c.startedLocal,
        o.callValue === null ? '' : String(o.callValue),
        o.callValue === null ? '' : site.currency,
      ]);
    }
    for (const d of deals) {
      if (!d.gclid) continue;
      rows.push([d.gclid, safeText(o.dealConversionName), d.wonLocal, amount(d.amount), d.amount === null ? '' : (d.currency ?? site.currency)]);
    }
    return `Parameters:TimeZone=${site.timezone}\n${csv([...GOOGLE_ADS_CLICK_HEADER], rows)}`;
  }

  /** Metrica: every call (upload_calls), or won deals as offline conversions, keyed by ClientId or Yclid. */
  async yandexMetrica(principal: Principal, siteId: string, from: string, to: string, o: MetricaExportOptions): Promise<string> {
    const { site, scope } = await this.scope(principal, siteId, from, to);
    const id = (x: { ym: string | null; yclid: string | null }) => (o.idType === 'ClientId' ? x.ym : x.yclid);
    if (o.kind === 'conversions') {
      const deals = await this.deps.exports.deals(this.deps.db, scope);
      const rows = deals
        .filter((d) => id(d))
        .map((d) => [
          id(d)!,
          safeText(o.target),
          String(Math.floor(d.wonAt.getTime() / 1000)),
          amount(d.amount),
          d.amount === null ? '' : (d.currency ?? site.currency),
        ]);
      return csv([o.idType, ...METRICA_CONVERSIONS_HEADER.slice(1)], rows);
    }
    const calls = await this.deps.exports.calls(this.deps.db, scope);
    const base = this.deps.publicBaseUrl.href.replace(/\/$/, '');
    const rows = calls
      .filter((c) => id(c))
      .map((c) => {
        const won = c.opensLead && c.leadStatus === 'won' && c.leadAmount !== null;
        const target = c.answered && c.talkSeconds >= site.targetCallMinTalkSeconds;
        return [
          id(c)!,
          String(Math.floor(c.startedAt.getTime() / 1000)),
          c.staticNumber ? '1' : '0',
          won ? amount(c.leadAmount) : '',
          won ? site.currency : '',
          c.caller,
          String(c.answered ? c.talkSeconds : 0),
          String(c.ringSeconds),
          c.answered ? '0' : '1',
          !c.answered ? 'missed' : target ? 'qualified' : 'answered',
          c.firstTime ? '1' : '0',
          c.pageUrl ?? '',
          `${base}/console/#/call/${c.id}`,
        ];
      });
    return csv([o.idType, ...METRICA_CALLS_HEADER.slice(1)], rows);
  }
}

function csv(header: string[], rows: string[][]): string {
  // Machine formats: a phone number's leading + must stay as it is; free texts were made inert where they were set.
  return stringify([header, ...rows], { record_delimiter: 'unix' });
}
