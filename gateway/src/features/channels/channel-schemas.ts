import { CHANNEL_KINDS } from './channel-store-type.js';

const token = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const channelRuleSchema = {
  $id: 'ChannelRule',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description: 'Every field given must match (AND); a channel matches when any rule does (OR)',
  properties: {
    utm_source: token,
    utm_medium: token,
    utm_campaign: token,
    click_id: { type: 'string', pattern: '^[A-Za-z0-9_]{2,40}$', description: 'A landing-URL parameter such as gclid, yclid, fbclid' },
    referrer_host: { type: 'string', pattern: '^[a-z0-9.-]{1,253}$' },
  },
} as const;

const rules = { type: 'array', items: channelRuleSchema, maxItems: 50 } as const;
const kind = { type: 'string', enum: CHANNEL_KINDS } as const;

export const channelSchema = {
  $id: 'Channel',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'siteId', 'name', 'kind', 'rules', 'priority', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    siteId: { type: 'string' },
    name: { type: 'string' },
    kind,
    rules,
    priority: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const channelListSchema = {
  $id: 'ChannelList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: channelSchema } },
} as const;

export const createChannelRequestSchema = {
  $id: 'CreateChannelRequest',
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'name', 'kind'],
  properties: {
    siteId: { type: 'string', minLength: 1, maxLength: 64 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind,
    rules,
    priority: { type: 'integer', minimum: -1000, maximum: 1000 },
  },
} as const;

export const updateChannelRequestSchema = {
  $id: 'UpdateChannelRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind,
    rules,
    priority: { type: 'integer', minimum: -1000, maximum: 1000 },
  },
} as const;

export const channelIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['channelId'],
  properties: { channelId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const siteFilterQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
