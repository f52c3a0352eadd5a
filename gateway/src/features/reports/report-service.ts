import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import { firstTimeLabel, isoWeekLabel, noneLabel, weekdayLabel } from './report-labels.js';
import type { Lang } from './report-labels.js';
import type { CallAggregate, Grouped, ReportReadModel, ReportSite, SpendAggregate } from './report-read-model.js';
import { SPEND_DIMENSIONS, VISIT_DIMENSIONS } from './report-types.js';
import type { GroupBy, Report, ReportMetrics, ReportQuery, ReportRow } from './report-types.js';

const TIME_DIMENSIONS: ReadonlySet<GroupBy> = new Set(['hour', 'weekday', 'date', 'week', 'month']);

/** `a / b` rounded, or null when `b` is 0 (or either side is unknown). */
export function ratio(a: number | null, b: number | null, digits: number, scale = 1): number | null {
  if (a === null || b === null || b === 0) return null;
  const f = 10 ** digits;
  return Math.round(((a * scale) / b) * f) / f;
}

const money = (s: string): number => Math.round(Number(s) * 100) / 100;

/** The derived fields of one row (or of the totals) from its counts and sums. */
export function metricsOf(
  c: CallAggregate | undefined,
  visits: number | null,
  spend: SpendAggregate | null | undefined,
  withSpend: boolean,
): ReportMetrics {
  const calls = c?.calls ?? 0;
  const leads = c?.leads ?? 0;
  const deals = c?.deals ?? 0;
  const revenue = money(c?.revenue ?? '0');
  const spent = withSpend ? money(spend?.spend ?? '0') : null;
  return {
    visits,
    calls,
    answeredCalls: c?.answered ?? 0,
    missedCalls: calls - (c?.answered ?? 0),
    uniqueCallers: c?.uniq ?? 0,
    firstTimeCallers: c?.firstTime ?? 0,
    targetCalls: c?.target ?? 0,
    leads,
    deals,
    revenue,
    spend: spent,
    clicks: withSpend ? (spend?.clicks ?? 0) : null,
    costPerCall: ratio(spent, calls, 2),
    cpl: ratio(spent, leads, 2),
    cpa: ratio(spent, deals, 2),
    roas: ratio(revenue, spent, 4),
    romi: spent === null ? null : ratio(revenue - spent, spent, 2, 100),
  };
}

/** The end-to-end report: calls, visits and spend grouped alike and merged by key. */
export class ReportService {
  constructor(private readonly deps: { db: Db; readModel: ReportReadModel }) {}

  async site(principal: Principal, siteId: string): Promise<ReportSite> {
    const site = await this.deps.readModel.site(this.deps.db, principal.accountId, siteId);
    if (!site) throw new NotFoundError('Site not found');
    return site;
  }

  async summary(principal: Principal, q: ReportQuery): Promise<Report> {
    checkPeriod(q.from, q.to);
    const { db, readModel } = this.deps;
    const site = await this.site(principal, q.siteId);
    const { lo, hi } = await readModel.bounds(db, site.timezone, q.from, q.to);
    const scope = { accountId: site.accountId, siteId: site.id, lo, hi, timezone: site.timezone, from: q.from, to: q.to };
    // Visits and spend have no tracking number, caller or outcome: a filter on those leaves them out (null).
    const callOnlyFilter = q.filter.trackingNumber !== undefined || q.filter.firstTime !== undefined || q.filter.outcome !== undefined;
    const withVisits = VISIT_DIMENSIONS.has(q.groupBy) && !callOnlyFilter;
    const withSpendRows = SPEND_DIMENSIONS.has(q.groupBy) && !callOnlyFilter;
    const [calls, visits, spend, channels] = await Promise.all([
      readModel.calls(db, scope, site, q.groupBy, q.model, q.filter),
      callOnlyFilter ? null : readModel.visits(db, scope, q.groupBy, q.model, q.filter),
      callOnlyFilter ? null : readModel.spend(db, scope, q.groupBy, q.filter),
      q.groupBy === 'channel' ? readModel.channelNames(db, site.accountId, site.id) : null,
    ]);
    const keys = new Set<string | null>(calls.rows.keys());
    if (withVisits && visits) for (const k of visits.rows.keys()) keys.add(k);
    if (withSpendRows && spend) for (const k of spend.rows.keys()) keys.add(k);
    const rows: ReportRow[] = [...keys].map((key) => ({
      key,
      label: labelOf(q.groupBy, key, q.lang, channels),
      ...metricsOf(calls.rows.get(key), withVisits ? (visits?.rows.get(key) ?? 0) : null, withSpendRows ? spend?.rows.get(key) : null, withSpendRows),
    }));
    sortRows(rows, q.groupBy);
    return {
      siteId: site.id,
      from: q.from,
      to: q.to,
      timezone: site.timezone,
      currency: site.currency,
      groupBy: q.groupBy,
      model: q.model,
      rows,
      // Totals come from the same scans without grouping: additive fields equal the sum of the rows; distinct callers
      // are counted once over the period (a caller in two rows is one caller in the total). Spend totals include
      // spend the rows cannot show (grouping by hour or device).
      totals: metricsOf(calls.total ?? undefined, visits ? (visits.total ?? 0) : null, spend ? totalOf(spend) : null, spend !== null),
    };
  }
}

const totalOf = (g: Grouped<SpendAggregate>): SpendAggregate => g.total ?? { spend: '0', clicks: 0 };

function labelOf(groupBy: GroupBy, key: string | null, lang: Lang, channels: Map<string, { name: string }> | null): string {
  if (key === null) return noneLabel(lang);
  switch (groupBy) {
    case 'channel':
      return channels?.get(key)?.name ?? key;
    case 'weekday':
      return weekdayLabel(lang, Number(key));
    case 'hour':
      return `${key}:00`;
    case 'week':
      return isoWeekLabel(key);
    case 'first_time':
      return firstTimeLabel(lang, key === 'true');
    default:
      return key;
  }
}

/** Time dimensions in time order; the others by calls, then visits, then spend, biggest first, then by label. */
function sortRows(rows: ReportRow[], groupBy: GroupBy): void {
  if (TIME_DIMENSIONS.has(groupBy)) {
    rows.sort((a, b) => (a.key === null ? 1 : b.key === null ? -1 : a.key.localeCompare(b.key)));
    return;
  }
  rows.sort(
    (a, b) =>
      (b.calls ?? 0) - (a.calls ?? 0) || (b.visits ?? 0) - (a.visits ?? 0) || (b.spend ?? 0) - (a.spend ?? 0) || a.label.localeCompare(b.label),
  );
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Real calendar days, `from` not after `to`. */
export function checkPeriod(from: string, to: string): void {
  const details: { path: string; message: string }[] = [];
  for (const [name, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    const m = DAY.exec(v);
    const d = m ? new Date(`${v}T00:00:00Z`) : null;
    if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v)
      details.push({ path: `query/${name}`, message: 'Must be a calendar date YYYY-MM-DD' });
  }
  if (!details.length && from > to) details.push({ path: 'query/to', message: 'Must not be before from' });
  if (details.length) throw new BadDataError('Invalid report period', details);
}
