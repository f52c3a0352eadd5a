import { isDay, isValidTimeZone, parseAmount, parseClicks, readCsv, timezoneParameter } from './spend-csv.js';
import type { LineError, ParsedSpendFile, SpendLine } from './spend-types.js';

/**
 * A Google Ads cost report downloaded as CSV (Reports → Predefined → "Campaigns" or "Search keywords", segmented by
 * Day): a title line and a date-range line may come before the header, "Total: ..." lines after the data. Columns,
 * named as the English UI names them and matched without case:
 *   Day (or Date)       YYYY-MM-DD                        required
 *   Campaign            campaign name                     required (or Campaign ID with campaignKey=id)
 *   Campaign ID         numeric id                        used as utm_campaign with campaignKey=id ({campaignid})
 *   Keyword / Search keyword   keyword with its match-type marks ([exact], "phrase", +modifier): stripped → utm_term
 *   Ad group, Ad group ID      ignored (no UTM key carries them)
 *   Currency code (or Currency) ISO 4217                  optional (the site's currency when absent)
 *   Cost                amount, point decimal, thousands commas allowed, "--" = 0   required
 *   Clicks              whole number                      optional
 * Every line is google / cpc: what a gclid visit classifies as, and what the recommended template tags.
 */
const HEADER = {
  day: ['day', 'date'],
  campaign: ['campaign'],
  campaignId: ['campaign id'],
  keyword: ['keyword', 'search keyword'],
  currency: ['currency code', 'currency'],
  cost: ['cost'],
  clicks: ['clicks'],
} as const;

export function stripMatchType(keyword: string): string {
  const k = keyword.trim();
  if (/^\[.*\]$/.test(k) || /^".*"$/.test(k)) return k.slice(1, -1).trim();
  return k.replace(/(^|\s)\+(?=\S)/g, '$1');
}

export function parseGoogleAdsSpend(text: string, opts: { campaignKey: 'name' | 'id' }): ParsedSpendFile {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() && !/^parameters:/i.test(l)) ?? '';
  const { records, error } = readCsv(text, firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',');
  if (error) return { lines: [], errors: [error], timezone: null, rows: 0 };
  const errors: LineError[] = [];
  const lines: SpendLine[] = [];
  let timezone: string | null = null;
  let col: Record<keyof typeof HEADER, number | undefined> | null = null;
  let rows = 0;
  for (const r of records) {
    const tz = timezoneParameter(r);
    if (tz !== undefined) {
      if (tz === null || !isValidTimeZone(tz)) errors.push({ line: r.line, message: `Unknown time zone in "${r.cells.join(',')}"` });
      else timezone = tz;
      continue;
    }
    if (!col) {
      const names = r.cells.map((c) => c.toLowerCase());
      const find = (alts: readonly string[]) => {
        const i = names.findIndex((n) => alts.includes(n));
        return i < 0 ? undefined : i;
      };
      const c = Object.fromEntries(Object.entries(HEADER).map(([k, alts]) => [k, find(alts)])) as Record<keyof typeof HEADER, number | undefined>;
      // Lines before the header (report title, date range) are skipped.
      if (c.day !== undefined && c.cost !== undefined) {
        const key = opts.campaignKey === 'id' ? c.campaignId : c.campaign;
        if (key === undefined) {
          errors.push({ line: r.line, message: `The header lacks ${opts.campaignKey === 'id' ? 'Campaign ID' : 'Campaign'}` });
          return { lines: [], errors, timezone, rows: 0 };
        }
        col = c;
      }
      continue;
    }
    const get = (k: keyof typeof HEADER): string => {
      const i = col![k];
      return i === undefined ? '' : (r.cells[i] ?? '');
    };
    if (/^total/i.test(r.cells[0] ?? '')) continue;
    rows += 1;
    const problems: string[] = [];
    const day = get('day');
    if (!isDay(day)) problems.push(`Day "${day}" is not YYYY-MM-DD`);
    const campaign = opts.campaignKey === 'id' ? get('campaignId') : get('campaign');
    if (!campaign) problems.push(opts.campaignKey === 'id' ? 'Campaign ID is empty' : 'Campaign is empty');
    const cents = parseAmount(get('cost'));
    if (cents === null) problems.push(`Cost "${get('cost')}" is not a non-negative amount`);
    const currency = get('currency').toUpperCase() || null;
    if (currency !== null && !/^[A-Z]{3}$/.test(currency)) problems.push(`Currency code "${get('currency')}" is not an ISO 4217 code`);
    const clicks = parseClicks(get('clicks'));
    if (clicks === null) problems.push(`Clicks "${get('clicks')}" is not a whole number`);
    if (problems.length) {
      errors.push({ line: r.line, message: problems.join('; ') });
      continue;
    }
    lines.push({
      line: r.line,
      from: day,
      to: day,
      utm: { source: 'google', medium: 'cpc', campaign, term: stripMatchType(get('keyword')), content: '' },
      cents: cents!,
      currency,
      clicks: clicks!,
    });
  }
  if (!col) errors.push({ line: 1, message: 'No header with Day and Cost columns found' });
  return { lines, errors, timezone, rows };
}
