import { E164_PATTERN } from '../../shared/phone.js';

const e164 = { type: 'string', pattern: E164_PATTERN, format: 'e164' } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const poolSettingsSchema = {
  $id: 'PoolSettings',
  type: 'object',
  additionalProperties: false,
  properties: {
    activeWindowSeconds: { type: 'integer', minimum: 10, maximum: 86400, description: 'A holder is active this long after its last heartbeat' },
    holdSeconds: { type: 'integer', minimum: 0, maximum: 86400, description: 'The lease ends this long after the active window closes' },
    heartbeatSeconds: { type: 'integer', minimum: 5, maximum: 3600 },
    sticky: { type: 'boolean', description: 'A returning visitor gets its previous number when nobody else took it' },
    reclaim: { type: 'boolean', description: 'On exhaustion take the number of the longest-inactive holder' },
    reuseGapTargetSeconds: { type: 'integer', minimum: 0, maximum: 86400 },
    blockingTarget: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, description: 'Wanted share of visitors shown the fallback number' },
    accuracyTarget: {
      type: 'number',
      minimum: 0.5,
      exclusiveMaximum: 1,
      description: 'Wanted share of calls matched to the right visit; the recommended size keeps numbers idle long enough',
    },
    maxNumbersPerVisitor: { type: 'integer', minimum: 0, maximum: 1000, description: 'Numbers one visitor id may hold at once (0: no limit)' },
    maxSessionSeconds: {
      type: 'integer',
      minimum: 0,
      maximum: 2592000,
      description: 'Heartbeats stop extending a session this old; its number becomes reclaimable (0: no limit)',
    },
  },
} as const;

const fullSettings = {
  ...poolSettingsSchema,
  $id: 'PoolSettingsFull',
  required: [
    'activeWindowSeconds',
    'holdSeconds',
    'heartbeatSeconds',
    'sticky',
    'reclaim',
    'reuseGapTargetSeconds',
    'blockingTarget',
    'accuracyTarget',
    'maxNumbersPerVisitor',
    'maxSessionSeconds',
  ],
} as const;

export const poolSchema = {
  $id: 'Pool',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'siteId', 'channelId', 'name', 'kind', 'canonicalNumber', 'fallbackNumber', 'settings', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    siteId: { type: 'string' },
    channelId: { type: ['string', 'null'] },
    name: { type: 'string' },
    kind: { type: 'string', enum: ['session', 'static'] },
    canonicalNumber: e164,
    fallbackNumber: { ...e164, type: ['string', 'null'] },
    settings: fullSettings,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const poolListSchema = {
  $id: 'PoolList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: poolSchema } },
} as const;

export const createPoolRequestSchema = {
  $id: 'CreatePoolRequest',
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'name', 'kind', 'canonicalNumber'],
  properties: {
    siteId: id,
    channelId: { ...id, type: ['string', 'null'] },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: ['session', 'static'], description: 'session: a number per live visitor; static: one number per channel' },
    canonicalNumber: { ...e164, description: "Which of the site's numbers this pool's numbers replace" },
    fallbackNumber: { ...e164, type: ['string', 'null'], description: 'Shown when the pool is exhausted; null = the canonical number' },
    settings: poolSettingsSchema,
  },
} as const;

export const updatePoolRequestSchema = {
  $id: 'UpdatePoolRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    channelId: { ...id, type: ['string', 'null'] },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    canonicalNumber: e164,
    fallbackNumber: { ...e164, type: ['string', 'null'] },
    settings: poolSettingsSchema,
  },
} as const;

export const poolIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['poolId'],
  properties: { poolId: id },
} as const;

export const poolHealthQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { hours: { type: 'integer', minimum: 1, maximum: 24 * 31, default: 24 } },
} as const;

export const poolHealthSchema = {
  $id: 'PoolHealth',
  type: 'object',
  additionalProperties: false,
  required: ['poolId', 'kind', 'live', 'window', 'series', 'recommendation'],
  properties: {
    poolId: { type: 'string' },
    kind: { type: 'string', enum: ['session', 'static'] },
    live: {
      type: 'object',
      additionalProperties: false,
      required: ['size', 'leasable', 'inUse', 'utilisation'],
      properties: {
        size: { type: 'integer' },
        leasable: { type: 'integer' },
        inUse: { type: 'integer' },
        utilisation: { type: 'number' },
      },
    },
    window: {
      type: 'object',
      additionalProperties: false,
      required: ['hours', 'leases', 'blocked', 'blockedShare', 'reclaims', 'peakInUse', 'peakArrivalsPerHour', 'meanHoldSeconds', 'reuseGapSeconds'],
      properties: {
        hours: { type: 'integer' },
        leases: { type: 'integer', description: 'New leases (not renewals)' },
        blocked: { type: 'integer', description: 'Visits shown the fallback number' },
        blockedShare: { type: 'number' },
        reclaims: { type: 'integer' },
        peakInUse: { type: 'integer' },
        peakArrivalsPerHour: { type: 'number', description: 'Leases + blocked visits in the busiest 15 minutes, per hour' },
        meanHoldSeconds: { type: ['number', 'null'], description: 'Mean lease length (visit + hold)' },
        reuseGapSeconds: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['median', 'p5', 'samples'],
          properties: { median: { type: 'number' }, p5: { type: 'number' }, samples: { type: 'integer' } },
          description: 'Time from a release to the next lease of the same number',
        },
      },
    },
    series: {
      type: 'array',
      description: 'Over time: 15-minute buckets for windows up to 48 h, hourly beyond',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'size', 'peakInUse', 'leases', 'blocked', 'reclaims'],
        properties: {
          at: { type: 'string', format: 'date-time' },
          size: { type: 'integer' },
          peakInUse: { type: 'integer' },
          leases: { type: 'integer' },
          blocked: { type: 'integer' },
          reclaims: { type: 'integer' },
        },
      },
    },
    recommendation: {
      type: 'object',
      additionalProperties: false,
      description: 'The recommended size over the last 14 days; /metrics gateway_pool_recommended_size shows the same number',
      required: [
        'windowDays',
        'peakArrivalsPerHour',
        'meanLeaseSeconds',
        'offeredLoadErlangs',
        'erlangBSize',
        'leaveToCallSeconds',
        'leaveToCallSource',
        'delaySamples',
        'accuracySize',
        'reuseGapSize',
        'recommendedSize',
        'blockingTarget',
        'accuracyTarget',
        'reuseGapTargetSeconds',
      ],
      properties: {
        windowDays: { type: 'integer' },
        peakArrivalsPerHour: { type: 'number', description: 'Leases + blocked visits per hour in the busiest 15 minutes' },
        meanLeaseSeconds: { type: 'number' },
        offeredLoadErlangs: { type: 'number' },
        erlangBSize: { type: 'integer', description: 'Smallest size with Erlang-B blocking at or under the target' },
        leaveToCallSeconds: { type: 'number', description: 'Leave→call delay that accuracyTarget of the calls stay under' },
        leaveToCallSource: {
          type: 'string',
          enum: ['observed', 'configured'],
          description: 'configured: fewer than 30 calls seen, reuseGapTargetSeconds used',
        },
        delaySamples: { type: 'integer' },
        accuracySize: { type: 'integer', description: 'λ·(mean lease + leave→call delay): numbers stay idle long enough for the accuracy target' },
        reuseGapSize: { type: 'integer', description: 'Same as accuracySize (older name)' },
        recommendedSize: { type: 'integer' },
        blockingTarget: { type: 'number' },
        accuracyTarget: { type: 'number' },
        reuseGapTargetSeconds: { type: 'integer' },
      },
    },
  },
} as const;
