import type { Knex } from 'knex';
import type { DbOrTrx } from '../../adapters/db/knex.js';
import { factCallsSql, factVisitsSql } from './report-fact-sql.js';
import { attributedCallsSql, attributedVisitsSql, Binds, callAggregates, grouped, spendSql } from './report-sql.js';
import type { Scope } from './report-sql.js';
import type { AttributionModel, GroupBy, ReportFilter, ReportSiteSettings } from './report-types.js';

export interface CallAggregate {
  readonly calls: number;
  readonly answered: number;
  readonly uniq: number;
  readonly firstTime: number;
  readonly target: number;
  readonly leads: number;
  readonly deals: number;
  /** Decimal text, summed exactly by the database. */
  readonly revenue: string;
}

export interface Grouped<T> {
  /** Per key (null = none). */
  readonly rows: ReadonlyMap<string | null, T>;
  readonly total: T | null;
}

export interface SpendAggregate {
  readonly spend: string;
  readonly clicks: number;
}

export interface ReportSite extends ReportSiteSettings {
  readonly id: string;
  readonly accountId: string;
}

type Row = { k: string | null; g: number } & Record<string, unknown>;

/**
 * Sorting tens of thousands of calls by key for the distinct-caller count spills to disk at the default 4 MB; the
 * report's own transaction gets more, and nothing else does.
 */
const REPORT_WORK_MEM = '64MB';

async function run(db: DbOrTrx, q: { sql: string; values: Knex.RawBinding[] }): Promise<Row[]> {
  const exec = async (trx: Knex.Transaction): Promise<Row[]> => {
    await trx.raw(`SET LOCAL work_mem = '${REPORT_WORK_MEM}'`);
    // Compiling a scan of a few hundred thousand narrow rows costs more than it saves (30 ms measured).
    await trx.raw('SET LOCAL jit = off');
    return ((await trx.raw(q.sql, q.values)) as { rows: Row[] }).rows;
  };
  return 'isTransaction' in db && db.isTransaction ? exec(db as Knex.Transaction) : (db as Knex).transaction(exec);
}

function split<T>(rows: readonly Row[], map: (r: Row) => T): Grouped<T> {
  const out = new Map<string | null, T>();
  let total: T | null = null;
  for (const r of rows) {
    if (Number(r.g) === 1) total = map(r);
    else out.set(r.k, map(r));
  }
  return { rows: out, total };
}

/**
 * Where calls and visits are read from: `facts`, the report fact tables the database keeps current (the default: one
 * range scan per report); `live`, the source rows attributed at read time (the reference the facts are checked
 * against, and what the facts are derived from).
 */
export type ReportSource = 'facts' | 'live';

/** Cross-table reads for the end-to-end report (calls, visits, spend, leads), one site and period at a time. */
export class ReportReadModel {
  constructor(private readonly source: ReportSource = 'facts') {}

  async site(db: DbOrTrx, accountId: string, siteId: string): Promise<ReportSite | null> {
    const r = (await db('sites').where({ account_id: accountId, id: siteId }).first('id', 'account_id', 'timezone', 'settings')) as
      | { id: string; account_id: string; timezone: string; settings: Record<string, unknown> }
      | undefined;
    if (!r) return null;
    const s = r.settings ?? {};
    const int = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
    return {
      id: r.id,
      accountId: r.account_id,
      timezone: r.timezone,
      currency: typeof s.currency === 'string' ? s.currency : 'USD',
      targetCallMinTalkSeconds: int(s.targetCallMinTalkSeconds, 30),
      leadWindowHours: int(s.leadWindowHours, 24),
    };
  }

  /** [lo, hi): local midnight of `from` to local midnight after `to`, in the site's zone (DST-aware, by the database). */
  async bounds(db: DbOrTrx, timezone: string, from: string, to: string): Promise<{ lo: Date; hi: Date }> {
    const r = (await db.raw(
      `SELECT timezone(?, CAST(CAST(? AS date) AS timestamp)) AS lo, timezone(?, CAST(CAST(? AS date) + 1 AS timestamp)) AS hi`,
      [timezone, from, timezone, to],
    )) as { rows: { lo: Date; hi: Date }[] };
    const row = r.rows[0]!;
    return { lo: new Date(row.lo), hi: new Date(row.hi) };
  }

  async channelNames(db: DbOrTrx, accountId: string, siteId: string): Promise<Map<string, { name: string; kind: string }>> {
    const rows = (await db('channels').where({ account_id: accountId, site_id: siteId }).select('id', 'name', 'kind')) as {
      id: string;
      name: string;
      kind: string;
    }[];
    return new Map(rows.map((r) => [r.id, { name: r.name, kind: r.kind }]));
  }

  async calls(
    db: DbOrTrx,
    scope: Scope,
    site: ReportSite,
    groupBy: GroupBy,
    model: AttributionModel,
    filter: ReportFilter,
  ): Promise<Grouped<CallAggregate>> {
    const b = new Binds();
    const facts = this.source === 'facts';
    const rowsSql = facts ? factCallsSql(b, scope, model, filter) : attributedCallsSql(b, scope, model, filter);
    const q = b.finish(grouped(rowsSql, groupBy, callAggregates(b, site.targetCallMinTalkSeconds), facts));
    return split(await run(db, q), (r) => ({
      calls: Number(r.calls),
      answered: Number(r.answered),
      uniq: Number(r.uniq),
      firstTime: Number(r.first_time),
      target: Number(r.target),
      leads: Number(r.leads),
      deals: Number(r.deals),
      revenue: String(r.revenue),
    }));
  }

  async visits(db: DbOrTrx, scope: Scope, groupBy: GroupBy, model: AttributionModel, filter: ReportFilter): Promise<Grouped<number>> {
    const b = new Binds();
    const facts = this.source === 'facts';
    const rowsSql = facts ? factVisitsSql(b, scope, model, filter) : attributedVisitsSql(b, scope, model, filter);
    const q = b.finish(grouped(rowsSql, groupBy, 'count(*)::int AS visits', facts));
    return split(await run(db, q), (r) => Number(r.visits));
  }

  async spend(db: DbOrTrx, scope: Scope & { from: string; to: string }, groupBy: GroupBy, filter: ReportFilter): Promise<Grouped<SpendAggregate>> {
    const b = new Binds();
    const q = b.finish(
      grouped(
        spendSql(b, scope, filter),
        groupBy,
        'coalesce(sum(amount), 0)::text AS spend, coalesce(sum(clicks), 0)::int AS clicks',
        this.source === 'facts',
      ),
    );
    return split(await run(db, q), (r) => ({ spend: String(r.spend), clicks: Number(r.clicks) }));
  }
}
