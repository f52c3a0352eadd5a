import { VISIT_KINDS } from '../dni/visit-classifier.js';
import { CHANNEL_KINDS } from './channel-store-type.js';

const token = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const channelRuleSchema = {
  $id: 'ChannelRule',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description: 'Every field given must match (AND); a channel matches when any rule does (OR)',
  properties: {
    utm_source: { ...token, description: 'The classified source: utm_source, or google for a gclid visit, yandex for yclid' },
    utm_medium: { ...token, description: 'The classified medium: utm_medium, or cpc for a click-id visit, organic, referral' },
    utm_campaign: token,
    utm_term: { ...token, description: 'The keyword (utm_term)' },
    utm_content: { ...token, description: 'The ad or content variant (utm_content, _openstat ad)' },
    source: { ...token, description: 'Same as utm_source: the classified source' },
    medium: { ...token, description: 'Same as utm_medium: the classified medium' },
    click_id: { type: 'string', pattern: '^[A-Za-z0-9_*]{2,40}$', description: 'A landing-URL parameter such as gclid, yclid, fbclid' },
    kind: {
      type: 'string',
      pattern: '^[A-Za-z_*]{1,40}$',
      description: `The visit kind: ${VISIT_KINDS.join(', ')} (* as a wildcard: paid_*)`,
    },
    referrer_host: { type: 'string', pattern: '^[A-Za-z0-9.*-]{1,253}$', description: 'A host glob: partner.org, *.partner.org' },
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
