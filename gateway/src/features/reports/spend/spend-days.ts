import { daysBetween } from './spend-csv.js';
import type { SpendLine, UtmKey } from './spend-types.js';

/** Spend of one site-local day and UTM key set: what is stored. */
export interface DaySpend {
  readonly date: string;
  readonly utm: UtmKey;
  readonly cents: number;
  readonly clicks: number;
}

/**
 * Splits `total` (whole units) over `weights` so the parts are whole and add up to exactly `total`: each part is the
 * floor of its share, and the units left go to the largest remainders (the earliest on a tie). No cent is lost or
 * made up, which a per-day rounding would do.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}

/** Offset of `zone` from UTC at instant `ms`, in ms (Intl only: no time-zone library needed for this one question). */
function offsetMs(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight starts `day` in `zone` (DST-aware: the offset is checked at the instant found). */
export function midnight(day: string, zone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  let t = guess - offsetMs(zone, guess);
  t = guess - offsetMs(zone, t);
  return t;
}

export function localDay(ms: number, zone: string): string {
  return new Date(ms + offsetMs(zone, ms)).toISOString().slice(0, 10);
}

const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * A file day in `fileZone` as site-local days with the share of its hours each gets: one day with weight 1 when the
 * zones agree, two days split by hours otherwise (a Moscow day is 03:00–24:00 of one UTC day and 00:00–03:00 of the
 * one before).
 */
export function siteDaysOf(day: string, fileZone: string, siteZone: string): { date: string; weight: number }[] {
  if (fileZone === siteZone) return [{ date: day, weight: 1 }];
  const start = midnight(day, fileZone);
  const end = midnight(nextDay(day), fileZone);
  const out: { date: string; weight: number }[] = [];
  for (let d = localDay(start, siteZone); ; d = nextDay(d)) {
    const s = Math.max(start, midnight(d, siteZone));
    const e = Math.min(end, midnight(nextDay(d), siteZone));
    if (e > s) out.push({ date: d, weight: e - s });
    if (midnight(nextDay(d), siteZone) >= end) break;
  }
  return out;
}

const keyOf = (date: string, u: UtmKey) => JSON.stringify([date, u.source, u.medium, u.campaign, u.term, u.content]);

/**
 * Every line spread evenly over its days (a range of N days gives each day 1/N of the cost and the clicks), moved to
 * the site's days when the file's zone differs, and summed per (day, UTM keys): lines of one file that meet on a day
 * add up, so a file replaces exactly what it describes.
 */
export function toSiteDays(lines: readonly SpendLine[], fileZone: string, siteZone: string): DaySpend[] {
  const acc = new Map<string, { date: string; utm: UtmKey; cents: number; clicks: number }>();
  for (const l of lines) {
    const days = daysBetween(l.from, l.to);
    const cents = apportion(
      l.cents,
      days.map(() => 1),
    );
    const clicks = apportion(
      l.clicks,
      days.map(() => 1),
    );
    days.forEach((day, i) => {
      const parts = siteDaysOf(day, fileZone, siteZone);
      const w = parts.map((p) => p.weight);
      const c = apportion(cents[i]!, w);
      const k = apportion(clicks[i]!, w);
      parts.forEach((p, j) => {
        const key = keyOf(p.date, l.utm);
        const cur = acc.get(key) ?? { date: p.date, utm: l.utm, cents: 0, clicks: 0 };
        cur.cents += c[j]!;
        cur.clicks += k[j]!;
        acc.set(key, cur);
      });
    });
  }
  return [...acc.values()];
}
