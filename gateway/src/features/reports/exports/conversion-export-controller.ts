import { ANY_ROLE } from '../../../http/principal.js';
import { route } from '../../../http/route.js';
import type { Controller, RouteDefinition } from '../../../http/route.js';
import type { ConversionExportService } from './conversion-export-service.js';

const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const params = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const name = { type: 'string', minLength: 1, maxLength: 100 } as const;

const googleQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: day,
    to: day,
    callConversionName: { ...name, default: 'Tracked call - qualified', description: 'Conversion action name for target calls' },
    dealConversionName: { ...name, default: 'Call deal - won', description: 'Conversion action name for won deals' },
    callValue: { type: 'number', minimum: 0, description: 'Value of a target call (empty when absent: the action default applies)' },
  },
} as const;

const metricaQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: day,
    to: day,
    kind: { type: 'string', enum: ['calls', 'conversions'], default: 'calls', description: 'calls: upload_calls; conversions: won deals' },
    idType: { type: 'string', enum: ['ClientId', 'Yclid'], default: 'ClientId' },
    target: { ...name, default: 'call_sale', description: 'conversions: the goal identifier (Target)' },
  },
} as const;

const csvResponse = (description: string) => ({ description, contentType: 'text/csv' });

function send(res: import('express').Response, file: string, body: string): undefined {
  res
    .status(200)
    .set({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file}"` })
    .send(body);
  return undefined;
}

export class ConversionExportController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(exports: ConversionExportService) {
    const tags = ['reports'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/sites/{siteId}/conversion-exports/google-ads',
          operationId: 'exportGoogleAdsConversions',
          summary: 'Google Ads click conversions by gclid (target calls and won deals with their value), as the import file',
          tags,
          auth: ANY_ROLE,
          params,
          query: googleQuery,
          responses: {
            200: csvResponse(
              'Parameters:TimeZone line, then Google Click ID, Conversion Name, Conversion Time, Conversion Value, Conversion Currency',
            ),
          },
        },
        async ({ principal, params: p, query, res }) =>
          send(
            res,
            `google-ads-conversions-${query.from}-${query.to}.csv`,
            await exports.googleAds(principal, p.siteId, query.from, query.to, {
              callConversionName: query.callConversionName ?? 'Tracked call - qualified',
              dealConversionName: query.dealConversionName ?? 'Call deal - won',
              callValue: query.callValue ?? null,
            }),
          ),
      ),
      route(
        {
          method: 'get',
          path: '/v1/sites/{siteId}/conversion-exports/yandex-metrica',
          operationId: 'exportYandexMetricaCalls',
          summary: 'Yandex Metrica offline calls (upload_calls) by ClientId or Yclid, or won deals as offline conversions',
          tags,
          auth: ANY_ROLE,
          params,
          query: metricaQuery,
          responses: {
            200: csvResponse(
              'ClientId|Yclid, DateTime, StaticCall, Price, Currency, PhoneNumber, TalkDuration, HoldDuration, CallMissed, Tag, FirstTimeCaller, URL, CallTrackerURL',
            ),
          },
        },
        async ({ principal, params: p, query, res }) =>
          send(
            res,
            `yandex-metrica-${query.kind ?? 'calls'}-${query.from}-${query.to}.csv`,
            await exports.yandexMetrica(principal, p.siteId, query.from, query.to, {
              kind: query.kind ?? 'calls',
              idType: query.idType ?? 'ClientId',
              target: query.target ?? 'call_sale',
            }),
          ),
      ),
    ];
  }
}
