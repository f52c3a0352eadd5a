import { CALL_OUTCOMES } from '../calls/call-events.js';
import { E164_PATTERN } from '../../shared/phone.js';
import { GROUP_BYS, METRICS, MODELS } from './report-types.js';

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Calendar day in the site time zone (YYYY-MM-DD)' } as const;
const nullableNumber = { type: ['number', 'null'] } as const;

export const reportSummaryQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'from', 'to'],
  properties: {
    siteId: id,
    from: { ...day, description: 'First day, inclusive, in the site time zone' },
    to: { ...day, description: 'Last day, inclusive, in the site time zone' },
    groupBy: { type: 'string', enum: [...GROUP_BYS], default: 'channel' },
    model: { type: 'string', enum: [...MODELS], default: 'last_non_direct' },
    format: { type: 'string', enum: ['json', 'csv'], description: 'csv: the same rows as a CSV download (or send Accept: text/csv)' },
    bom: { type: 'boolean', description: 'Start the CSV with a UTF-8 byte order mark (for Excel)' },
    lang: { type: 'string', enum: ['en', 'ru'], default: 'en', description: 'Language of the labels' },
    channelId: id,
    trackingNumber: { type: 'string', pattern: E164_PATTERN },
    firstTime: { type: 'boolean' },
    outcome: { type: 'string', enum: [...CALL_OUTCOMES] },
  },
} as const;

const metricProps = Object.fromEntries(METRICS.map((m) => [m, nullableNumber])) as Record<(typeof METRICS)[number], typeof nullableNumber>;

export const reportMetricsSchema = {
  $id: 'ReportMetrics',
  type: 'object',
  additionalProperties: false,
  required: [...METRICS],
  properties: metricProps,
} as const;

export const reportRowSchema = {
  $id: 'ReportRow',
  type: 'object',
  additionalProperties: false,
  required: ['key', 'label', ...METRICS],
  properties: { key: { type: ['string', 'null'] }, label: { type: 'string' }, ...metricProps },
} as const;

export const reportSummarySchema = {
  $id: 'ReportSummary',
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'from', 'to', 'timezone', 'currency', 'groupBy', 'model', 'rows', 'totals'],
  properties: {
    siteId: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    timezone: { type: 'string' },
    currency: { type: 'string' },
    groupBy: { type: 'string', enum: [...GROUP_BYS] },
    model: { type: 'string', enum: [...MODELS] },
    rows: { type: 'array', items: reportRowSchema },
    totals: reportMetricsSchema,
  },
} as const;

export const REASONS = ['static_number', 'pool_exhausted', 'bot_gated', 'caller_history', 'no_lease', 'manual'] as const;

export const callsWithoutSessionQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'from', 'to'],
  properties: {
    siteId: id,
    from: day,
    to: day,
    reason: { type: 'string', enum: [...REASONS] },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

export const callsWithoutSessionSchema = {
  $id: 'CallsWithoutSession',
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'from', 'to', 'timezone', 'counts', 'items'],
  properties: {
    siteId: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    timezone: { type: 'string' },
    counts: {
      type: 'object',
      additionalProperties: false,
      required: [...REASONS],
      properties: Object.fromEntries(REASONS.map((r) => [r, { type: 'integer' }])) as Record<(typeof REASONS)[number], { type: 'integer' }>,
    },
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['callId', 'startedAt', 'trackingNumber', 'caller', 'channelId', 'sessionId', 'method', 'reason', 'detail'],
        properties: {
          callId: { type: 'string' },
          startedAt: { type: 'string', format: 'date-time' },
          trackingNumber: { type: 'string' },
          caller: { type: 'string' },
          channelId: { type: ['string', 'null'] },
          sessionId: { type: ['string', 'null'], description: 'Set for caller-history matches: the session came from the caller, not the number' },
          method: { type: 'string' },
          reason: { type: 'string', enum: [...REASONS] },
          detail: { type: 'string' },
        },
      },
    },
  },
} as const;
