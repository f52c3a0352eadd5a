import { E164_PATTERN } from '../../shared/phone.js';
import { CALL_OUTCOMES } from './call-events.js';

const e164 = { type: 'string', pattern: E164_PATTERN, format: 'e164' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const attributionCandidateSchema = {
  $id: 'AttributionCandidate',
  type: 'object',
  additionalProperties: false,
  required: ['sessionId', 'visitorId', 'method', 'score', 'reason'],
  properties: {
    sessionId: nullableString,
    visitorId: nullableString,
    method: { type: 'string' },
    score: { type: 'number', minimum: 0, maximum: 1 },
    reason: { type: 'string' },
  },
} as const;

export const attributionSchema = {
  $id: 'CallAttribution',
  type: 'object',
  additionalProperties: false,
  required: ['method', 'sessionId', 'visitorId', 'channelId', 'score', 'candidates', 'assignedBy', 'assignedAt'],
  properties: {
    method: { type: 'string', enum: ['lease', 'tel_click', 'caller_history', 'last_holder', 'channel', 'manual', 'callback'] },
    sessionId: nullableString,
    visitorId: nullableString,
    channelId: nullableString,
    score: { type: 'number', minimum: 0, maximum: 1 },
    candidates: { type: 'array', items: attributionCandidateSchema },
    assignedBy: { type: 'string' },
    assignedAt: dateTime,
  },
} as const;

export const callSchema = {
  $id: 'Call',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'siteId',
    'provider',
    'providerCallId',
    'trackingNumber',
    'caller',
    'forwardTo',
    'status',
    'outcome',
    'startedAt',
    'answeredAt',
    'endedAt',
    'ringSeconds',
    'talkSeconds',
    'sessionId',
    'visitorId',
    'channelId',
    'attribution',
    'firstTimeCaller',
    'blocked',
    'leadId',
    'durationSeconds',
    'channel',
    'source',
    'medium',
    'campaign',
    'keyword',
    'landingPage',
  ],
  properties: {
    id,
    siteId: nullableString,
    provider: { type: 'string', enum: ['twilio', 'asterisk'] },
    providerCallId: { type: 'string' },
    trackingNumber: { type: 'string' },
    caller: { type: 'string' },
    forwardTo: nullableString,
    status: { type: 'string', enum: ['ringing', 'answered', 'ended'] },
    outcome: { type: ['string', 'null'], enum: [...CALL_OUTCOMES, null] },
    answeredBy: nullableString,
    startedAt: dateTime,
    answeredAt: nullableDateTime,
    endedAt: nullableDateTime,
    ringSeconds: { type: ['integer', 'null'] },
    talkSeconds: { type: ['integer', 'null'] },
    sessionId: nullableString,
    visitorId: nullableString,
    channelId: nullableString,
    attribution: { anyOf: [attributionSchema, { type: 'null' }] },
    firstTimeCaller: { type: ['boolean', 'null'] },
    blocked: { type: 'boolean' },
    leadId: { ...nullableString, description: 'The customer lead the call belongs to (null: a blocked caller)' },
    durationSeconds: { type: ['integer', 'null'], description: 'Start to end (ring + talk); null until ended' },
    channel: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['id', 'name', 'kind'],
      properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } },
    },
    source: { ...nullableString, description: 'utm_source, else the classified source (gclid: google), else what the channel implies' },
    medium: nullableString,
    campaign: nullableString,
    keyword: { ...nullableString, description: 'utm_term' },
    landingPage: nullableString,
  },
} as const;

export const callListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { ...dateTime, description: 'Calls started at or after' },
    to: { ...dateTime, description: 'Calls started before' },
    siteId: id,
    channelId: id,
    outcome: { type: 'string', enum: [...CALL_OUTCOMES] },
    status: { type: 'string', enum: ['ringing', 'answered', 'ended'] },
    caller: e164,
    firstTime: { type: 'boolean' },
    campaign: { type: 'string', minLength: 1, maxLength: 200, description: "The visit's utm_campaign" },
    tag: { type: 'string', minLength: 1, maxLength: 40, description: 'Calls carrying this tag' },
    search: { type: 'string', pattern: '^[0-9+ ()-]{3,20}$', description: "Part of the caller's number" },
    leadId: id,
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page' },
  },
} as const;

export const callListSchema = {
  $id: 'CallList',
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: callSchema }, nextCursor: nullableString },
} as const;

export const callIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['callId'],
  properties: { callId: id },
} as const;

const journeySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['sessionId', 'visitorId', 'landingUrl', 'referrer', 'utm', 'clickIds', 'pages', 'device', 'channelId', 'firstSeenAt', 'lastSeenAt'],
  properties: {
    sessionId: { type: 'string' },
    visitorId: { type: 'string' },
    landingUrl: nullableString,
    referrer: nullableString,
    utm: {
      type: 'object',
      additionalProperties: false,
      properties: { source: nullableString, medium: nullableString, campaign: nullableString, term: nullableString, content: nullableString },
    },
    clickIds: { type: 'object' },
    pages: { type: 'array' },
    device: { type: 'object' },
    channelId: nullableString,
    firstSeenAt: dateTime,
    lastSeenAt: dateTime,
  },
} as const;

export const callCardSchema = {
  $id: 'CallCard',
  type: 'object',
  additionalProperties: false,
  required: ['call', 'journey', 'recordings', 'events'],
  properties: {
    call: callSchema,
    journey: journeySchema,
    recordings: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'status', 'provider', 'durationSeconds', 'channels', 'sourceUrl', 'playbackUrl'],
        properties: {
          id: { type: 'string' },
          status: { type: 'string' },
          provider: { type: 'string' },
          durationSeconds: { type: ['number', 'null'] },
          channels: { type: ['integer', 'null'] },
          sourceUrl: nullableString,
          playbackUrl: { ...nullableString, description: 'Where the console plays it (GET, with Range), once stored' },
        },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'eventKey', 'occurredAt'],
        properties: { type: { type: 'string' }, eventKey: { type: 'string' }, occurredAt: dateTime },
      },
    },
  },
} as const;

export const reassignRequestSchema = {
  $id: 'ReassignCallRequest',
  type: 'object',
  additionalProperties: false,
  required: ['sessionId'],
  properties: {
    sessionId: { type: ['string', 'null'], minLength: 1, maxLength: 64, description: 'The web session the call came from; null = channel only' },
    reason: { type: 'string', maxLength: 500 },
  },
} as const;

export const siteIdOnlyParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: id },
} as const;

export const blockedCallerParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'e164'],
  properties: { siteId: id, e164 },
} as const;

export const blockedCallerSchema = {
  $id: 'BlockedCaller',
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'e164', 'reason', 'createdAt'],
  properties: { siteId: { type: 'string' }, e164: { type: 'string' }, reason: { type: 'string' }, createdAt: dateTime },
} as const;

export const blockedCallerListSchema = {
  $id: 'BlockedCallerList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: blockedCallerSchema } },
} as const;

export const blockCallerRequestSchema = {
  $id: 'BlockCallerRequest',
  type: 'object',
  additionalProperties: false,
  required: ['e164'],
  properties: { e164, reason: { type: 'string', maxLength: 500 } },
} as const;
