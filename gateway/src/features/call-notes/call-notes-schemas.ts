export const callNotesSchema = {
  $id: 'CallNotes',
  type: 'object',
  additionalProperties: false,
  required: ['callId', 'tags', 'note', 'spam', 'updatedAt', 'updatedBy'],
  properties: {
    callId: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    note: { type: 'string' },
    spam: { type: 'boolean' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
    updatedBy: { type: ['string', 'null'] },
  },
} as const;

export const updateCallNotesRequestSchema = {
  $id: 'UpdateCallNotesRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    tags: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[^,\\n]+$' } },
    note: { type: 'string', maxLength: 4000 },
    spam: { type: 'boolean' },
  },
} as const;

export const callNotesParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['callId'],
  properties: { callId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const tagListSchema = {
  $id: 'CallTagList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tag', 'calls'],
        properties: { tag: { type: 'string' }, calls: { type: 'integer' } },
      },
    },
  },
} as const;
