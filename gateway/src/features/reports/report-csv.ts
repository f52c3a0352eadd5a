import { stringify } from 'csv-stringify/sync';

/**
 * CSV through csv-stringify (a kept library: RFC 4180 quoting of commas, quotes and line breaks is easy to get
 * subtly wrong by hand). Lines end in CRLF as RFC 4180 says. Text cells that a spreadsheet would run as a formula
 * (starting with = + - @, a tab or a carriage return) get a leading apostrophe (OWASP "CSV injection"); numbers are
 * written as numbers, so a negative ROMI stays a number.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[], opts: { bom?: boolean } = {}): string {
  const body = stringify([header.map(safeText), ...rows.map((r) => r.map(cell))], { record_delimiter: 'windows' });
  return opts.bom ? `\uFEFF${body}` : body;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return safeText(String(v));
}

export function safeText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}
