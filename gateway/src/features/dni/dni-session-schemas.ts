import { E164_PATTERN } from '../../shared/phone.js';

const token = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' } as const;
const siteKey = { type: 'string', pattern: '^[A-Za-z0-9_-]{3,64}$', description: 'The site public key (data-site)' } as const;

export const startDniSessionRequestSchema = {
  $id: 'StartDniSessionRequest',
  type: 'object',
  additionalProperties: false,
  required: ['site'],
  properties: {
    site: siteKey,
    visitor: { ...token, description: 'The first-party visitor id, when the browser has one' },
    session: { ...token, description: 'The current session id, when known (page 2+)' },
    url: { type: 'string', maxLength: 4096, description: 'The page URL (landing parameters classify the visit)' },
    referrer: { type: 'string', maxLength: 4096 },
  },
} as const;

export const dniSessionSchema = {
  $id: 'DniSession',
  type: 'object',
  additionalProperties: false,
  required: ['session', 'visitor', 'channel', 'swaps', 'expiresAt', 'heartbeatSeconds'],
  properties: {
    session: { type: 'string' },
    visitor: { type: 'string' },
    channel: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['id', 'name', 'kind'],
      properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } },
    },
    swaps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to', 'display'],
        properties: {
          from: { type: 'string', pattern: E164_PATTERN, description: 'The number printed on the page' },
          to: { type: 'string', pattern: E164_PATTERN, description: 'The number to show instead' },
          display: { type: 'string' },
        },
      },
    },
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'When the leases end without a heartbeat' },
    heartbeatSeconds: { type: 'integer' },
  },
} as const;

export const dniSiteRequestSchema = {
  $id: 'DniSiteRequest',
  type: 'object',
  additionalProperties: false,
  required: ['site'],
  properties: { site: siteKey },
} as const;

export const dniHeartbeatSchema = {
  $id: 'DniHeartbeat',
  type: 'object',
  additionalProperties: false,
  required: ['session', 'active', 'expiresAt'],
  properties: {
    session: { type: 'string' },
    active: { type: 'boolean', description: 'false: the session holds no number any more; start a new one' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const dniSessionParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessionId'],
  properties: { sessionId: token },
} as const;
