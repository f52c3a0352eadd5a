import { E164_PATTERN } from '../../shared/phone.js';
import { NUMBER_STATUSES } from './tracking-number-store-type.js';

const e164 = { type: 'string', pattern: E164_PATTERN, format: 'e164', description: 'E.164: "+" and 7 to 15 digits' } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const trackingNumberSchema = {
  $id: 'TrackingNumber',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'siteId',
    'poolId',
    'e164',
    'provider',
    'providerRef',
    'forwardTo',
    'status',
    'statusChangedAt',
    'quarantinedUntil',
    'monthlyCost',
    'currency',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string' },
    siteId: { type: ['string', 'null'] },
    poolId: { type: ['string', 'null'] },
    e164,
    provider: { type: 'string', enum: ['twilio', 'asterisk'] },
    providerRef: { type: ['string', 'null'] },
    forwardTo: { type: ['string', 'null'] },
    status: { type: 'string', enum: NUMBER_STATUSES },
    statusChangedAt: { type: 'string', format: 'date-time' },
    quarantinedUntil: { type: ['string', 'null'], format: 'date-time' },
    monthlyCost: { type: ['number', 'null'] },
    currency: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const trackingNumberListSchema = {
  $id: 'TrackingNumberList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: trackingNumberSchema } },
} as const;

export const createTrackingNumberRequestSchema = {
  $id: 'CreateTrackingNumberRequest',
  type: 'object',
  additionalProperties: false,
  required: ['e164', 'provider'],
  properties: {
    e164,
    provider: { type: 'string', enum: ['twilio', 'asterisk'] },
    providerRef: { type: ['string', 'null'], maxLength: 200, description: 'Twilio PN... SID or the Asterisk DID label' },
    forwardTo: { ...e164, type: ['string', 'null'] },
    poolId: { ...id, type: ['string', 'null'] },
    siteId: { ...id, type: ['string', 'null'] },
    status: { type: 'string', enum: ['active', 'paused'] },
    monthlyCost: { type: ['number', 'null'], minimum: 0 },
    currency: { type: ['string', 'null'], pattern: '^[A-Z]{3}$' },
  },
} as const;

export const updateTrackingNumberRequestSchema = {
  $id: 'UpdateTrackingNumberRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    poolId: { ...id, type: ['string', 'null'], description: 'Move the number to another pool (its live lease ends); null unassigns it' },
    forwardTo: { ...e164, type: ['string', 'null'] },
    providerRef: { type: ['string', 'null'], maxLength: 200 },
    status: {
      type: 'string',
      enum: ['active', 'paused', 'quarantined'],
      description: 'paused: still routed, never newly leased; quarantined: out of rotation until quarantinedUntil',
    },
    quarantineDays: { type: 'integer', minimum: 1, maximum: 365, description: 'With status quarantined; default 30' },
    monthlyCost: { type: ['number', 'null'], minimum: 0 },
    currency: { type: ['string', 'null'], pattern: '^[A-Z]{3}$' },
  },
} as const;

export const trackingNumberIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['numberId'],
  properties: { numberId: id },
} as const;

export const trackingNumberListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { poolId: id, siteId: id, status: { type: 'string', enum: NUMBER_STATUSES } },
} as const;
