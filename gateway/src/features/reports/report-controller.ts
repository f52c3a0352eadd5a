import type { Request } from 'express';
import { ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { CallsWithoutSessionService } from './calls-without-session-service.js';
import { toCsv } from './report-csv.js';
import { callsWithoutSessionQuerySchema, callsWithoutSessionSchema, reportSummaryQuerySchema, reportSummarySchema } from './report-schemas.js';
import type { ReportService } from './report-service.js';
import { METRICS } from './report-types.js';
import type { AttributionModel, GroupBy, Report, ReportFilter } from './report-types.js';

/** CSV when asked by `format=csv`, or by an Accept header that prefers text/csv to JSON. */
export function wantsCsv(req: Request, format: string | undefined): boolean {
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

export function reportCsv(report: Report, bom: boolean): string {
  const header = ['key', 'label', ...METRICS];
  const rows = report.rows.map((r) => [r.key, r.label, ...METRICS.map((m) => r[m])]);
  rows.push(['total', 'total', ...METRICS.map((m) => report.totals[m])]);
  return toCsv(header, rows, { bom });
}

export class ReportController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(reports: ReportService, noSession: CallsWithoutSessionService) {
    const tags = ['reports'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/reports/summary',
          operationId: 'reportSummary',
          summary: 'End-to-end report: visits, calls, leads, revenue, spend and return per channel, campaign, day...',
          description:
            'Days are calendar days in the site time zone, both inclusive. Ratios are null when their denominator is 0. ' +
            'format=csv (or Accept: text/csv) answers the same rows as CSV with a total row. Definitions: docs/analytics.md.',
          tags,
          auth: ANY_ROLE,
          query: reportSummaryQuerySchema,
          responses: {
            200: { description: 'The report', schema: reportSummarySchema },
          },
        },
        async ({ principal, query, req, res }) => {
          const filter: ReportFilter = {
            ...(query.channelId ? { channelId: query.channelId } : {}),
            ...(query.trackingNumber ? { trackingNumber: query.trackingNumber } : {}),
            ...(query.firstTime !== undefined ? { firstTime: query.firstTime } : {}),
            ...(query.outcome ? { outcome: query.outcome } : {}),
          };
          const report = await reports.summary(principal, {
            siteId: query.siteId,
            from: query.from,
            to: query.to,
            groupBy: (query.groupBy ?? 'channel') as GroupBy,
            model: (query.model ?? 'last_non_direct') as AttributionModel,
            filter,
            lang: query.lang ?? 'en',
          });
          if (wantsCsv(req, query.format)) {
            const name = `report-${report.groupBy}-${report.from}-${report.to}.csv`;
            res
              .status(200)
              .set({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"`, vary: 'Accept' })
              .send(reportCsv(report, query.bom === true));
            return undefined;
          }
          return { status: 200, body: report, headers: { vary: 'Accept' } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/reports/calls-without-session',
          operationId: 'callsWithoutSession',
          summary: 'Calls not tied to the visit that showed the number, with why (static number, pool exhausted, bot-gated...)',
          tags,
          auth: ANY_ROLE,
          query: callsWithoutSessionQuerySchema,
          responses: { 200: { description: 'Counts per reason and the calls, newest first', schema: callsWithoutSessionSchema } },
        },
        async ({ principal, query }) => {
          const out = await noSession.list(principal, {
            siteId: query.siteId,
            from: query.from,
            to: query.to,
            limit: query.limit ?? 100,
            ...(query.reason ? { reason: query.reason } : {}),
          });
          return {
            status: 200,
            body: { ...out, items: out.items.map((i) => ({ ...i, startedAt: i.startedAt.toISOString() })) },
          };
        },
      ),
    ];
  }
}
