import { ADMINS } from '../../../http/principal.js';
import { route } from '../../../http/route.js';
import type { Controller, RouteDefinition } from '../../../http/route.js';
import type { SpendImportService } from './spend-import-service.js';
import { SPEND_FORMATS } from './spend-types.js';

const spendParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const spendQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    format: { type: 'string', enum: [...SPEND_FORMATS] },
    campaignKey: {
      type: 'string',
      enum: ['name', 'id'],
      default: 'name',
      description: 'google-ads: which column becomes utm_campaign (name, or Campaign ID for {campaignid} tagging)',
    },
  },
} as const;

const spendFileSchema = { type: 'string', maxLength: 20_000_000, description: 'The cost file (CSV, UTF-8)' } as const;

const spendResultSchema = {
  $id: 'SpendImportResult',
  type: 'object',
  additionalProperties: false,
  required: ['rows', 'inserted', 'replaced'],
  properties: {
    rows: { type: 'integer', description: 'Cost lines read from the file' },
    inserted: { type: 'integer', description: 'Day rows stored for the first time' },
    replaced: { type: 'integer', description: 'Day rows that replaced stored ones with the same day and UTM keys' },
  },
} as const;

export class SpendController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(spend: SpendImportService) {
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/sites/{siteId}/spend',
          operationId: 'importSpend',
          summary: 'Import ad spend from a Yandex Metrica expense file or a Google Ads cost report (CSV)',
          description:
            'Idempotent: a day and UTM key set replaces what was stored for it. All or nothing: any bad line answers 422 with ' +
            'errors [{line, message}] for every bad line and stores nothing. Formats: docs/analytics.md.',
          tags: ['reports'],
          auth: ADMINS,
          params: spendParamsSchema,
          query: spendQuerySchema,
          body: spendFileSchema,
          bodyType: 'text-csv',
          bodyLimit: '20mb',
          responses: {
            200: { description: 'Stored', schema: spendResultSchema },
            422: { description: 'Bad lines; nothing stored' },
          },
        },
        async ({ principal, params, query, body }) => ({
          status: 200,
          body: await spend.import(principal, params.siteId, query.format, body, { campaignKey: query.campaignKey ?? 'name' }),
        }),
      ),
    ];
  }
}
