import type { Knex } from 'knex';
import type { AttributionModel, GroupBy, ReportFilter } from './report-types.js';

/**
 * SQL pieces of the report, shared by the call, visit and spend queries. Every event (call, visit) is first given
 * the web session it is attributed to under the model, as uniform columns:
 *   ch (channel id), src, med, camp, term, landing, ua, tn (tracking number), ft (first-time caller), evt_local
 * and the dimension key is an expression over those columns. Positional bindings only: a `?` of our own would be
 * taken for one, so literals avoid it.
 */
export class Binds {
  private readonly bound: Knex.RawBinding[] = [];
  /** A placeholder for `value`; pieces are built in any order, `finish` puts the values in text order. */
  v(value: Knex.RawBinding): string {
    this.bound.push(value);
    return `⟦${this.bound.length - 1}⟧`;
  }
  finish(sql: string): { sql: string; values: Knex.RawBinding[] } {
    const values: Knex.RawBinding[] = [];
    const text = sql.replace(/⟦(\d+)⟧/g, (_m, i: string) => {
      values.push(this.bound[Number(i)] as Knex.RawBinding);
      return '?';
    });
    return { sql: text, values };
  }
}

/** The visitor's last non-direct visit is looked for this far back from a direct one (Calltouch's and GA's default). */
export const LOOKBACK_DAYS = 90;

/**
 * The dimension's key as text (null = none) over the uniform columns. Fact rows (`facts`) carry the landing page and
 * the device class already derived, by the same expressions (SQL functions report_landing_page, report_device_class).
 */
export function keySql(groupBy: GroupBy, facts = false): string {
  switch (groupBy) {
    case 'channel':
      return 'ch';
    case 'source':
      return 'src';
    case 'medium':
      return 'med';
    case 'source_medium':
      return `CASE WHEN src IS NULL AND med IS NULL THEN NULL ELSE coalesce(src, '(none)') || ' / ' || coalesce(med, '(none)') END`;
    case 'campaign':
      return `nullif(camp, '')`;
    case 'keyword':
      return `nullif(term, '')`;
    case 'landing_page':
      if (facts) return 'landing';
      // Scheme, host and path: the query string carries the ad tags, which would split one page into many.
      return `nullif(split_part(split_part(landing, chr(63), 1), '#', 1), '')`;
    case 'device':
      if (facts) return 'device';
      return `CASE WHEN ua IS NULL THEN NULL
        WHEN ua ~* '(ipad|tablet|kindle|silk|playbook)' OR (ua ~* 'android' AND ua !~* 'mobile') THEN 'tablet'
        WHEN ua ~* '(mobi|iphone|ipod|android|blackberry|opera mini|iemobile|windows phone)' THEN 'mobile'
        ELSE 'desktop' END`;
    case 'tracking_number':
      return 'tn';
    case 'first_time':
      return `CASE WHEN ft IS NULL THEN NULL WHEN ft THEN 'true' ELSE 'false' END`;
    case 'hour':
      return `to_char(evt_local, 'HH24')`;
    case 'weekday':
      return `extract(isodow FROM evt_local)::int::text`;
    case 'date':
      return `to_char(evt_local, 'YYYY-MM-DD')`;
    case 'week':
      return `to_char(date_trunc('week', evt_local), 'YYYY-MM-DD')`;
    case 'month':
      return `to_char(evt_local, 'YYYY-MM')`;
    case 'kind':
      return 'kind';
  }
}

const SESSION_COLS = 'w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device';

/**
 * The attributed session `a` of an event whose own session is `s0` (null columns when it has none):
 * - last_click: `s0` itself;
 * - last_non_direct: `s0`, or, when `s0` is direct, the visitor's latest non-direct visit in the LOOKBACK_DAYS before it;
 * - first_click: the visitor's first visit (before the event).
 * The lateral subquery runs only for the rows that need it (its WHERE starts with a one-time test on `s0`).
 */
function attributedSession(model: AttributionModel, visitorSql: string, eventAtSql: string): string {
  if (model === 'last_click') return '';
  if (model === 'last_non_direct')
    return `LEFT JOIN LATERAL (SELECT ${SESSION_COLS} FROM web_sessions w
       WHERE s0.source = '(direct)' AND w.visitor_id = s0.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
         AND w.first_seen_at <= s0.first_seen_at AND w.first_seen_at > s0.first_seen_at - interval '${LOOKBACK_DAYS} days'
       ORDER BY w.first_seen_at DESC LIMIT 1) a ON true`;
  return `LEFT JOIN LATERAL (SELECT ${SESSION_COLS} FROM web_sessions w
     WHERE ${visitorSql} IS NOT NULL AND w.visitor_id = ${visitorSql} AND NOT w.is_bot AND w.first_seen_at <= ${eventAtSql}
     ORDER BY w.first_seen_at ASC LIMIT 1) a ON true`;
}

/**
 * Uniform session columns: from `a` when the model picked another session than the event's own, else from `s0`. The
 * channel of an event that keeps its own session is the event's channel (a call's stored attribution, which a manager
 * may have re-assigned, or the number's channel for a call without a session).
 */
function sessionColumns(model: AttributionModel, ownSessionSql: string, ownChannelSql: string): string {
  const other = `a.id IS NOT NULL AND a.id IS DISTINCT FROM ${ownSessionSql}`;
  const pick = (col: string) => (model === 'last_click' ? `s0.${col}` : `CASE WHEN ${other} THEN a.${col} ELSE s0.${col} END`);
  return [
    model === 'last_click' ? `${ownChannelSql} AS ch` : `CASE WHEN ${other} THEN a.channel_id ELSE ${ownChannelSql} END AS ch`,
    `${pick('source')} AS src`,
    `${pick('medium')} AS med`,
    `${pick('utm_campaign')} AS camp`,
    `${pick('utm_term')} AS term`,
    `${pick('landing_url')} AS landing`,
    `(${pick('device')})->>'ua' AS ua`,
  ].join(', ');
}

export interface Scope {
  readonly accountId: string;
  readonly siteId: string;
  readonly lo: Date;
  readonly hi: Date;
  readonly timezone: string;
}

/**
 * Which calls open a lead and what became of it, from the `leads` table (one lead per customer within the site's lead
 * window): a lead is counted once, on the call that started it, with that call's attribution; its CRM outcome (won =
 * a deal, amount = revenue) counts on the same row. Revenue therefore falls on the lead's creation date.
 */
export function leadColumns(): { join: string; cols: string } {
  return {
    join: 'LEFT JOIN leads l ON l.id = c.lead_id',
    cols: `coalesce(l.first_inquiry_id = c.id, false) AS opens_lead, l.status AS lead_status, l.amount AS lead_amount`,
  };
}

/** The period's calls (blocked callers left out), each with its attributed session columns and lead columns. */
export function attributedCallsSql(b: Binds, scope: Scope, model: AttributionModel, filter: ReportFilter): string {
  const lead = leadColumns();
  const where = [
    `c.account_id = ${b.v(scope.accountId)}`,
    `c.site_id = ${b.v(scope.siteId)}`,
    `c.started_at >= ${b.v(scope.lo)}`,
    `c.started_at < ${b.v(scope.hi)}`,
    'NOT c.blocked',
    // A placed callback is its request's call: the request is the inquiry counted (as kind callback).
    "c.direction = 'inbound'",
  ];
  if (filter.trackingNumber) where.push(`c.tracking_e164 = ${b.v(filter.trackingNumber)}`);
  if (filter.firstTime !== undefined) where.push(`coalesce(c.first_time_caller, false) = ${b.v(filter.firstTime)}`);
  if (filter.outcome) where.push(`c.outcome = ${b.v(filter.outcome)}`);
  const tz = b.v(scope.timezone);
  const inner = `SELECT c.id, c.caller, c.answered_at, c.answered_at IS NOT NULL AS answered, c.talk_seconds, c.ring_seconds, c.outcome, c.started_at, c.session_id,
      c.tracking_e164 AS tn, c.first_time_caller AS ft, timezone(${tz}, c.started_at) AS evt_local,
      ${sessionColumns(model, 'c.session_id', 'c.channel_id')}, ${lead.cols}, 'call'::text AS kind
    FROM calls c
    LEFT JOIN web_sessions s0 ON s0.id = c.session_id
    ${attributedSession(model, 'coalesce(c.visitor_id, s0.visitor_id)', 'c.started_at')}
    ${lead.join}
    WHERE ${where.join(' AND ')}`;
  // Forms, callback requests and emails ride along as rows of their own kind: they count as leads (deals, revenue)
  // when they began one, never as calls. Call-only filters (number, first time, outcome) leave them out.
  const callOnly = filter.trackingNumber !== undefined || filter.firstTime !== undefined || filter.outcome !== undefined;
  const rows = callOnly ? inner : `${inner} UNION ALL ${inquiryRowsSql(b, scope, model, tz)}`;
  const conds = [
    ...(filter.channelId ? [`x.ch = ${b.v(filter.channelId)}`] : []),
    ...(filter.kinds?.length ? [`x.kind IN (${filter.kinds.map((k) => b.v(k)).join(', ')})`] : []),
  ];
  return conds.length ? `SELECT * FROM (${rows}) x WHERE ${conds.join(' AND ')}` : rows;
}

/** Inquiries other than calls, in the call rows' columns (no answer, talk time, number or outcome). */
function inquiryRowsSql(b: Binds, scope: Scope, model: AttributionModel, tz: string): string {
  return `SELECT i.id, coalesce(i.phone, i.email) AS caller, NULL::timestamptz AS answered_at, false AS answered, NULL::int AS talk_seconds,
      NULL::int AS ring_seconds, NULL::text AS outcome, i.received_at AS started_at, i.session_id,
      NULL::text AS tn, NULL::boolean AS ft, timezone(${tz}, i.received_at) AS evt_local,
      ${sessionColumns(model, 'i.session_id', 'coalesce(i.channel_id, s0.channel_id)')},
      coalesce(l.first_inquiry_id = i.id, false) AS opens_lead, l.status AS lead_status, l.amount AS lead_amount, i.kind
    FROM inquiries i
    LEFT JOIN web_sessions s0 ON s0.id = i.session_id
    ${attributedSession(model, 'coalesce(i.visitor_id, s0.visitor_id)', 'i.received_at')}
    LEFT JOIN leads l ON l.id = i.lead_id
    WHERE i.account_id = ${b.v(scope.accountId)} AND i.site_id = ${b.v(scope.siteId)}
      AND i.received_at >= ${b.v(scope.lo)} AND i.received_at < ${b.v(scope.hi)}`;
}

/** The period's visits (web sessions started in it, bots left out) with their attributed session columns. */
export function attributedVisitsSql(b: Binds, scope: Scope, model: AttributionModel, filter: ReportFilter): string {
  const tz = b.v(scope.timezone);
  const inner = `SELECT s0.id, timezone(${tz}, s0.first_seen_at) AS evt_local, NULL::text AS tn, NULL::boolean AS ft, NULL::text AS kind,
      ${sessionColumns(model, 's0.id', 's0.channel_id')}
    FROM web_sessions s0
    ${attributedSession(model, 's0.visitor_id', 's0.first_seen_at')}
    WHERE s0.account_id = ${b.v(scope.accountId)} AND s0.site_id = ${b.v(scope.siteId)}
      AND s0.first_seen_at >= ${b.v(scope.lo)} AND s0.first_seen_at < ${b.v(scope.hi)} AND NOT s0.is_bot`;
  return filter.channelId ? `SELECT * FROM (${inner}) x WHERE x.ch = ${b.v(filter.channelId)}` : inner;
}

/** The period's spend rows (days `from`..`to` inclusive) as uniform columns. */
export function spendSql(b: Binds, scope: Scope & { from: string; to: string }, filter: ReportFilter): string {
  const where = [
    `s.account_id = ${b.v(scope.accountId)}`,
    `s.site_id = ${b.v(scope.siteId)}`,
    `s.spend_date >= CAST(${b.v(scope.from)} AS date)`,
    `s.spend_date <= CAST(${b.v(scope.to)} AS date)`,
  ];
  if (filter.channelId) where.push(`s.channel_id = ${b.v(filter.channelId)}`);
  return `SELECT s.amount, s.clicks, s.channel_id AS ch, s.source AS src, s.medium AS med, s.utm_campaign AS camp, s.utm_term AS term,
      NULL::text AS landing, NULL::text AS ua, NULL::text AS device, NULL::text AS tn, NULL::boolean AS ft, NULL::text AS kind, CAST(s.spend_date AS timestamp) AS evt_local
    FROM ad_spend s WHERE ${where.join(' AND ')}`;
}

/** Groups `rowsSql` by the dimension, with a grand total row (`g` = 1) from the same scan: distinct counts total correctly. */
export function grouped(rowsSql: string, groupBy: GroupBy, aggregates: string, facts = false): string {
  return `SELECT k, GROUPING(k) AS g, ${aggregates}
    FROM (SELECT ${keySql(groupBy, facts)} AS k, x.* FROM (${rowsSql}) x) y
    GROUP BY GROUPING SETS ((k), ())`;
}

export function callAggregates(b: Binds, targetMinTalkSeconds: number): string {
  return `count(*) FILTER (WHERE kind = 'call')::int AS calls,
    count(*) FILTER (WHERE answered)::int AS answered,
    count(DISTINCT caller) FILTER (WHERE kind = 'call')::int AS uniq,
    count(*) FILTER (WHERE ft)::int AS first_time,
    count(*) FILTER (WHERE answered AND coalesce(talk_seconds, 0) >= ${b.v(targetMinTalkSeconds)})::int AS target,
    count(*) FILTER (WHERE opens_lead)::int AS leads,
    count(*) FILTER (WHERE opens_lead AND lead_status = 'won')::int AS deals,
    coalesce(sum(lead_amount) FILTER (WHERE opens_lead AND lead_status = 'won'), 0)::text AS revenue`;
}
