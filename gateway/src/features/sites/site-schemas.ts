import { LOCALES } from '../../i18n/i18n.js';
import { E164_PATTERN } from '../../shared/phone.js';

const e164 = { type: 'string', pattern: E164_PATTERN, format: 'e164' } as const;
const domain = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: '^(\\*\\.)?[a-z0-9.-]+(:(\\*|[0-9]{1,5}))?$',
  description: 'A host the widget may run on: "example.com", "*.example.com", "localhost:*", "127.0.0.1:8080"',
} as const;

export const siteSettingsSchema = {
  $id: 'SiteSettings',
  type: 'object',
  additionalProperties: false,
  properties: {
    recordCalls: { type: 'boolean' },
    recordingAnnouncement: { type: ['string', 'null'], maxLength: 500 },
    whisper: { type: 'boolean' },
    deleteProviderRecordings: { type: 'boolean' },
    recordingRetentionDays: { type: ['integer', 'null'], minimum: 1, maximum: 3650 },
    consent: { type: 'string', enum: ['required', 'not_required'] },
    attributionTouch: { type: 'string', enum: ['first', 'last_non_direct'] },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code of deal revenue and spend; USD by default' },
    targetCallMinTalkSeconds: { type: 'integer', minimum: 0, maximum: 86400, description: 'Target call: answered, talk at least this (30)' },
    leadWindowHours: {
      type: 'integer',
      minimum: 0,
      maximum: 8760,
      description: "A repeat call within this many hours of the start of the caller's lead joins it (24; 0: every call is a new lead)",
    },
    firstTimeWindowDays: {
      type: ['integer', 'null'],
      minimum: 1,
      maximum: 3650,
      description: 'First-time caller: no call from the number within this many days; null = ever',
    },
    country: {
      type: ['string', 'null'],
      pattern: '^[A-Z]{2}$',
      description: "ISO 3166-1 alpha-2 code whose national formats PBX numbers of this site use (RU: 8 495 …); null = the number's own country",
    },
    locale: { type: 'string', enum: LOCALES, description: 'Language of voice prompts, whispers and CRM texts' },
    maxNumbersPerAddress: {
      type: ['integer', 'null'],
      minimum: 0,
      maximum: 1000,
      description: "Numbers of one session pool a client address may hold at once (0: no limit); null = the gateway's DNI_MAX_NUMBERS_PER_ADDRESS",
    },
  },
} as const;

export const siteSchema = {
  $id: 'Site',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'publicKey', 'domains', 'canonicalNumbers', 'defaultForwardTo', 'timezone', 'settings', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    publicKey: { type: 'string', description: 'The data-site value of the widget snippet' },
    domains: { type: 'array', items: { type: 'string' } },
    canonicalNumbers: { type: 'array', items: e164 },
    defaultForwardTo: { type: ['string', 'null'] },
    timezone: { type: 'string' },
    settings: {
      type: 'object',
      required: [
        'recordCalls',
        'recordingAnnouncement',
        'whisper',
        'deleteProviderRecordings',
        'recordingRetentionDays',
        'consent',
        'attributionTouch',
        'currency',
        'targetCallMinTalkSeconds',
        'leadWindowHours',
        'firstTimeWindowDays',
        'country',
        'locale',
        'maxNumbersPerAddress',
      ],
      properties: siteSettingsSchema.properties,
      additionalProperties: false,
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const siteListSchema = {
  $id: 'SiteList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: siteSchema } },
} as const;

export const createSiteRequestSchema = {
  $id: 'CreateSiteRequest',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    publicKey: { type: 'string', pattern: '^[A-Za-z0-9_-]{3,64}$', description: 'Generated when omitted' },
    domains: { type: 'array', items: domain, maxItems: 100, uniqueItems: true },
    canonicalNumbers: { type: 'array', items: e164, maxItems: 50, uniqueItems: true },
    defaultForwardTo: { ...e164, type: ['string', 'null'] },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
    settings: siteSettingsSchema,
  },
} as const;

export const updateSiteRequestSchema = {
  $id: 'UpdateSiteRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    domains: { type: 'array', items: domain, maxItems: 100, uniqueItems: true },
    canonicalNumbers: { type: 'array', items: e164, maxItems: 50, uniqueItems: true },
    defaultForwardTo: { ...e164, type: ['string', 'null'] },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
    settings: siteSettingsSchema,
  },
} as const;

export const siteIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
