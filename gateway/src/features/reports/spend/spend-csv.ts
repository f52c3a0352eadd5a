import { parse } from 'csv-parse/sync';
import type { LineError } from './spend-types.js';

/** One CSV record with the physical line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/**
 * Reads a cost file with csv-parse (quoted fields, embedded commas and line breaks, a BOM): records with their line
 * numbers, so every error can name its line. A file that is not CSV at all is one error on the line it breaks at.
 */
export function readCsv(text: string, delimiter = ','): { records: CsvRecord[]; error: LineError | null } {
  try {
    const out = parse(text, {
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    // `info.lines` is the line a record ends on; a record spans as many lines as line breaks it holds.
    return {
      records: out.map(({ record, info }) => ({ line: info.lines - record.join('').split('\n').length + 1, cells: record })),
      error: null,
    };
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    return { records: [], error: { line: e.lines ?? 1, message: `Not a readable CSV file: ${e.message ?? 'parse error'}` } };
  }
}

/** `Parameters:TimeZone=Europe/Moscow` (Google Ads and Metrica put it first or last). */
export function timezoneParameter(r: CsvRecord): string | null | undefined {
  const first = r.cells[0] ?? '';
  if (!/^parameters:/i.test(first)) return undefined;
  const m = /^parameters:\s*timezone\s*=\s*(.+)$/i.exec(r.cells.join(',').trim());
  return m ? m[1]!.trim() : null;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDay(s: string): boolean {
  if (!DAY.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Days from `from` to `to`, both inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * A non-negative amount with a point as decimal separator ("12500.50"); thousands separators (`1,234.56`, `1 234.56`)
 * are taken as such. Returns cents, rounded half up, or null when it is not a number.
 */
export function parseAmount(raw: string): number | null {
  const s = raw.replace(/[\s\u00a0]/g, '');
  if (s === '--') return 0;
  if (!/^\d{1,3}(,\d{3})*(\.\d+)?$|^\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s.replace(/,/g, ''));
  if (!Number.isFinite(n) || n > 1e12) return null;
  return Math.round(n * 100 + 1e-6);
}

export function parseClicks(raw: string): number | null {
  const s = raw.replace(/[\s\u00a0,]/g, '');
  if (s === '' || s === '--') return 0;
  return /^\d{1,12}$/.test(s) ? Number(s) : null;
}
