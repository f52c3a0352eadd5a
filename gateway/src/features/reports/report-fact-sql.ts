import type { Binds, Scope } from './report-sql.js';
import type { AttributionModel, ReportFilter } from './report-types.js';

/**
 * The report's rows read from the fact tables (sql/migrations/20261202040000_report_facts.sql): one row per event and
 * model with the attributed columns already resolved, so the report is a range scan of
 * `(site_id, model, event_at)`. They give the uniform columns of the live SQL (report-sql.ts), except that `landing`
 * is already the page without its query and `device` the device class.
 */

export const MODEL_CODES: Readonly<Record<AttributionModel, number>> = { last_non_direct: 0, last_click: 1, first_click: 2 };

/** The period's calls and other inquiries under the model, with the call-only filters. */
export function factCallsSql(b: Binds, scope: Scope, model: AttributionModel, filter: ReportFilter): string {
  const where = [
    `f.site_id = ${b.v(scope.siteId)}`,
    `f.model = ${b.v(MODEL_CODES[model])}`,
    `f.event_at >= ${b.v(scope.lo)}`,
    `f.event_at < ${b.v(scope.hi)}`,
    `f.account_id = ${b.v(scope.accountId)}`,
  ];
  // Forms, callbacks and emails have no number, first-time flag or outcome: a call-only filter leaves them out.
  const callOnly = filter.trackingNumber !== undefined || filter.firstTime !== undefined || filter.outcome !== undefined;
  if (callOnly) where.push("f.kind = 'call'");
  if (filter.trackingNumber) where.push(`f.tn = ${b.v(filter.trackingNumber)}`);
  if (filter.firstTime !== undefined) where.push(`coalesce(f.ft, false) = ${b.v(filter.firstTime)}`);
  if (filter.outcome) where.push(`f.outcome = ${b.v(filter.outcome)}`);
  if (filter.channelId) where.push(`f.ch = ${b.v(filter.channelId)}`);
  if (filter.kinds?.length) where.push(`f.kind IN (${filter.kinds.map((k) => b.v(k)).join(', ')})`);
  return `SELECT f.caller, f.answered, f.talk_seconds, f.tn, f.ft, timezone(${b.v(scope.timezone)}, f.event_at) AS evt_local,
      f.ch, f.src, f.med, f.camp, f.term, f.landing, f.device, f.opens_lead, f.lead_status, f.lead_amount, f.kind
    FROM report_call_facts f WHERE ${where.join(' AND ')}`;
}

/** The period's visits under the model. */
export function factVisitsSql(b: Binds, scope: Scope, model: AttributionModel, filter: ReportFilter): string {
  const where = [
    `f.site_id = ${b.v(scope.siteId)}`,
    `f.model = ${b.v(MODEL_CODES[model])}`,
    `f.event_at >= ${b.v(scope.lo)}`,
    `f.event_at < ${b.v(scope.hi)}`,
    `f.account_id = ${b.v(scope.accountId)}`,
  ];
  if (filter.channelId) where.push(`f.ch = ${b.v(filter.channelId)}`);
  return `SELECT timezone(${b.v(scope.timezone)}, f.event_at) AS evt_local, NULL::text AS tn, NULL::boolean AS ft, NULL::text AS kind,
      f.ch, f.src, f.med, f.camp, f.term, f.landing, f.device
    FROM report_visit_facts f WHERE ${where.join(' AND ')}`;
}
