import { E164_PATTERN } from '../../shared/phone.js';

const e164 = { type: 'string', pattern: E164_PATTERN, format: 'e164' } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const twilioCredentialsRequestSchema = {
  $id: 'TwilioCredentialsRequest',
  type: 'object',
  additionalProperties: false,
  required: ['accountSid', 'authToken'],
  properties: {
    accountSid: { type: 'string', pattern: '^AC[0-9a-fA-F]{32}$' },
    authToken: { type: 'string', minLength: 16, maxLength: 128, description: 'Stored encrypted (AES-256-GCM); never returned' },
  },
} as const;

export const twilioCredentialsSchema = {
  $id: 'TwilioCredentials',
  type: 'object',
  additionalProperties: false,
  required: ['accountSid', 'connected'],
  properties: { accountSid: { type: 'string' }, connected: { type: 'boolean' } },
} as const;

export const availableNumbersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    country: { type: 'string', pattern: '^[A-Z]{2}$', default: 'US' },
    areaCode: { type: 'integer', minimum: 1, maximum: 999 },
    contains: { type: 'string', pattern: '^[0-9A-Za-z*%+$]{2,16}$' },
    limit: { type: 'integer', minimum: 1, maximum: 50, default: 20 },
  },
} as const;

export const availableNumberListSchema = {
  $id: 'AvailableNumberList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['e164', 'friendlyName', 'locality', 'region', 'isoCountry', 'capabilities'],
        properties: {
          e164: { type: 'string' },
          friendlyName: { type: 'string' },
          locality: { type: ['string', 'null'] },
          region: { type: ['string', 'null'] },
          isoCountry: { type: 'string' },
          capabilities: {
            type: 'object',
            additionalProperties: false,
            required: ['voice', 'sms', 'mms'],
            properties: { voice: { type: 'boolean' }, sms: { type: 'boolean' }, mms: { type: 'boolean' } },
          },
        },
      },
    },
  },
} as const;

export const buyNumberRequestSchema = {
  $id: 'BuyTwilioNumberRequest',
  type: 'object',
  additionalProperties: false,
  required: ['phoneNumber', 'siteId'],
  properties: {
    phoneNumber: e164,
    siteId: id,
    poolId: { ...id, description: 'The pool (or a channel’s static pool) the number joins' },
    forwardTo: { ...e164, description: 'Where calls go; unset = the site’s default forward-to' },
  },
} as const;

export const updateNumberRequestSchema = {
  $id: 'UpdateTwilioNumberRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    poolId: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
    forwardTo: { type: ['string', 'null'], pattern: E164_PATTERN, format: 'e164' },
  },
} as const;

export const twilioNumberSchema = {
  $id: 'TwilioTrackingNumber',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'e164', 'providerRef', 'siteId', 'poolId', 'forwardTo', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    e164: { type: 'string' },
    providerRef: { type: ['string', 'null'] },
    siteId: { type: ['string', 'null'] },
    poolId: { type: ['string', 'null'] },
    forwardTo: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['active', 'paused', 'quarantined', 'released'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const numberIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['numberId'],
  properties: { numberId: id },
} as const;
