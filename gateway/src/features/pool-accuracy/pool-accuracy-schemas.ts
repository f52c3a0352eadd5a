const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Calendar date in the site time zone' } as const;

export const poolAccuracyQuerySchema = {
  $id: 'PoolAccuracyQuery',
  type: 'object',
  additionalProperties: false,
  required: ['poolId'],
  properties: {
    poolId: { type: 'string', minLength: 1, maxLength: 64 },
    from: { ...date, description: 'First day, inclusive (default: 14 days before `to`)' },
    to: { ...date, description: 'Day after the last, exclusive (default: tomorrow in the site time zone)' },
  },
} as const;

const counts = {
  calls: { type: 'integer' },
  matchedUniquely: { type: 'integer', description: 'Matched to a session with no other candidate session scoring 0.5 or more' },
  ambiguous: { type: 'integer', description: 'Matched while more than one session scored 0.5 or more within the evidence window' },
  byLease: { type: 'integer' },
  byTelClick: { type: 'integer' },
  byCallerHistory: { type: 'integer' },
  byLastHolder: { type: 'integer' },
  manual: { type: 'integer', description: 'Re-assigned by a person' },
  unattributed: { type: 'integer', description: 'No session: channel only' },
  blockedVisits: { type: 'integer', description: 'Visits shown the fallback number because the pool was full' },
  telClickChecked: { type: 'integer', description: 'Calls with a tel: click beacon for the number just before (ground truth)' },
  correctLowerBound: { type: 'integer', description: 'Calls matched to the session that clicked: certainly correct' },
} as const;
const countKeys = Object.keys(counts) as (keyof typeof counts)[];

export const poolAccuracyReportSchema = {
  $id: 'PoolAccuracyReport',
  type: 'object',
  additionalProperties: false,
  required: ['poolId', 'siteId', 'timezone', 'from', 'to', 'days', 'totals'],
  properties: {
    poolId: { type: 'string' },
    siteId: { type: 'string' },
    timezone: { type: 'string' },
    from: date,
    to: date,
    days: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['date', ...countKeys], properties: { date, ...counts } },
    },
    totals: {
      type: 'object',
      additionalProperties: false,
      required: [...countKeys, 'correctLowerBoundShare', 'ambiguousShare', 'unattributedShare'],
      properties: {
        ...counts,
        correctLowerBoundShare: { type: 'number', description: 'correctLowerBound / calls: the share of calls certainly right' },
        ambiguousShare: { type: 'number' },
        unattributedShare: { type: 'number' },
      },
    },
  },
} as const;
