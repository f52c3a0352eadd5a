import { isDay, isValidTimeZone, parseAmount, parseClicks, readCsv, timezoneParameter } from './spend-csv.js';
import type { LineError, ParsedSpendFile, SpendLine } from './spend-types.js';

/**
 * Yandex Metrica's expense upload (reference crm-analytics.md §7; fixture yandex-metrica-expenses.sample.csv):
 * `Date, UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMContent, Expenses, Currency, Clicks`. Date is a day or a
 * `YYYY-MM-DD/YYYY-MM-DD` range; Date, UTMSource and Expenses are required; UTM values are case-sensitive; an optional
 * `Parameters:TimeZone=` line gives the zone of the dates. Column order is free and names are matched without case.
 */
const COLUMNS = ['date', 'utmsource', 'utmmedium', 'utmcampaign', 'utmterm', 'utmcontent', 'expenses', 'currency', 'clicks'] as const;
const REQUIRED = ['date', 'utmsource', 'expenses'] as const;
export const MAX_RANGE_DAYS = 366;

export function parseYandexMetricaSpend(text: string): ParsedSpendFile {
  const { records, error } = readCsv(text);
  if (error) return { lines: [], errors: [error], timezone: null, rows: 0 };
  const errors: LineError[] = [];
  let timezone: string | null = null;
  let header: Map<string, number> | null = null;
  const lines: SpendLine[] = [];
  let rows = 0;
  for (const r of records) {
    const tz = timezoneParameter(r);
    if (tz !== undefined) {
      if (tz === null || !isValidTimeZone(tz)) errors.push({ line: r.line, message: `Unknown time zone in "${r.cells.join(',')}"` });
      else timezone = tz;
      continue;
    }
    if (!header) {
      header = new Map(r.cells.map((c, i) => [c.toLowerCase(), i]));
      const missing = REQUIRED.filter((c) => !header!.has(c));
      if (missing.length) {
        errors.push({ line: r.line, message: `The header lacks ${missing.join(', ')}; expected ${COLUMNS.join(', ')}` });
        return { lines: [], errors, timezone, rows: 0 };
      }
      continue;
    }
    rows += 1;
    const h = header;
    const get = (c: (typeof COLUMNS)[number]): string => {
      const i = h.get(c);
      return i === undefined ? '' : (r.cells[i] ?? '');
    };
    const problems: string[] = [];
    const date = get('date');
    const [from, to = from] = date.split('/').map((d) => d.trim()) as [string, string?];
    if (!isDay(from) || !isDay(to)) problems.push(`Date "${date}" is not YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD`);
    else if (from > to) problems.push(`Date range "${date}" ends before it starts`);
    else if ((Date.parse(to) - Date.parse(from)) / 86_400_000 + 1 > MAX_RANGE_DAYS)
      problems.push(`Date range "${date}" is longer than ${MAX_RANGE_DAYS} days`);
    const source = get('utmsource');
    if (!source) problems.push('UTMSource is empty');
    const cents = parseAmount(get('expenses'));
    if (cents === null) problems.push(`Expenses "${get('expenses')}" is not a non-negative amount with a point as decimal separator`);
    const currency = get('currency').toUpperCase() || null;
    if (currency !== null && !/^[A-Z]{3}$/.test(currency)) problems.push(`Currency "${get('currency')}" is not an ISO 4217 code`);
    const clicks = parseClicks(get('clicks'));
    if (clicks === null) problems.push(`Clicks "${get('clicks')}" is not a whole number`);
    if (problems.length) {
      errors.push({ line: r.line, message: problems.join('; ') });
      continue;
    }
    lines.push({
      line: r.line,
      from,
      to,
      utm: { source, medium: get('utmmedium'), campaign: get('utmcampaign'), term: get('utmterm'), content: get('utmcontent') },
      cents: cents!,
      currency,
      clicks: clicks!,
    });
  }
  if (!header) errors.push({ line: 1, message: `The file is empty; expected a header ${COLUMNS.join(',')}` });
  return { lines, errors, timezone, rows };
}
