const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const autoscaleSettingsSchema = {
  $id: 'PoolAutoscaleSettings',
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    maxSize: { type: 'integer', minimum: 1, maximum: 10000, description: 'Numbers in the pool (active, paused, quarantined) at most' },
    monthlyCostCap: { type: 'number', minimum: 0, description: "The pool's monthly number rent at most" },
    numberMonthlyCost: { type: 'number', minimum: 0, description: 'Rent of a bought number, counted against the cap' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'Where new numbers are searched' },
    areaCode: { type: ['integer', 'null'], minimum: 1, maximum: 9999 },
    growAfterMinutes: { type: 'integer', minimum: 1, maximum: 10080, description: 'Recommendation above the active numbers this long: buy' },
    shrinkAfterHours: { type: 'integer', minimum: 1, maximum: 2160, description: 'Recommendation below this long: pause the surplus' },
    quarantineAfterDays: { type: 'integer', minimum: 1, maximum: 365, description: 'Paused by the autoscaler this long: quarantine' },
    releaseAfterDays: { type: 'integer', minimum: 1, maximum: 365, description: 'Quarantined this long: release (calls in 30 days: ask an admin)' },
  },
} as const;

const fullSettings = {
  ...autoscaleSettingsSchema,
  $id: 'PoolAutoscaleSettingsFull',
  required: Object.keys(autoscaleSettingsSchema.properties),
} as const;
const time = { type: ['string', 'null'], format: 'date-time' } as const;

export const autoscaleSchema = {
  $id: 'PoolAutoscale',
  type: 'object',
  additionalProperties: false,
  required: ['poolId', 'settings', 'aboveSince', 'belowSince', 'pending'],
  properties: {
    poolId: { type: 'string' },
    settings: fullSettings,
    aboveSince: { ...time, description: 'Since when the recommended size has stayed above the active numbers' },
    belowSince: { ...time, description: 'Since when it has stayed below' },
    pending: { type: 'integer', description: 'Actions waiting for an admin' },
  },
} as const;

export const autoscaleActionSchema = {
  $id: 'PoolAutoscaleAction',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'poolId', 'trackingNumberId', 'e164', 'action', 'status', 'details', 'decidedBy', 'decidedAt', 'createdAt', 'undoable'],
  properties: {
    id: { type: 'string' },
    poolId: { type: 'string' },
    trackingNumberId: { type: ['string', 'null'] },
    e164: { type: ['string', 'null'] },
    action: { type: 'string', enum: ['buy', 'pause', 'quarantine', 'release', 'unpause', 'unquarantine'] },
    status: { type: 'string', enum: ['done', 'pending', 'undone', 'rejected', 'failed'] },
    details: { type: 'object', description: 'The figures behind it: recommended size, active numbers, monthly cost, recent calls, error' },
    decidedBy: { type: ['string', 'null'], description: 'null: the autoscaler; else the admin (user or API key id)' },
    decidedAt: time,
    createdAt: { type: 'string', format: 'date-time' },
    undoable: { type: 'boolean', description: 'A done pause or quarantine; a release is final, a purchase is undone by releasing the number' },
  },
} as const;

export const autoscaleActionListSchema = {
  $id: 'PoolAutoscaleActionList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: autoscaleActionSchema } },
} as const;

export const poolParamsSchema = {
  $id: 'PoolAutoscaleParams',
  type: 'object',
  additionalProperties: false,
  required: ['poolId'],
  properties: { poolId: id },
} as const;

export const actionParamsSchema = {
  $id: 'PoolAutoscaleActionParams',
  type: 'object',
  additionalProperties: false,
  required: ['poolId', 'actionId'],
  properties: { poolId: id, actionId: id },
} as const;

export const actionListQuerySchema = {
  $id: 'PoolAutoscaleActionQuery',
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } },
} as const;
