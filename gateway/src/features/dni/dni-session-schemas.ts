import { E164_PATTERN } from '../../shared/phone.js';

const token = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' } as const;
const siteKey = { type: 'string', pattern: '^[A-Za-z0-9_-]{3,64}$', description: 'The site public key (data-site)' } as const;

/**
 * Widget bodies allow unknown properties: a cached older or newer widget must never lose its numbers over a field
 * this gateway does not know. Known fields are validated; unknown ones are ignored and never stored.
 */
export const startDniSessionRequestSchema = {
  $id: 'StartDniSessionRequest',
  type: 'object',
  additionalProperties: true,
  required: ['site'],
  properties: {
    site: siteKey,
    visitor: { ...token, description: 'The first-party visitor id, when the browser has one' },
    session: { ...token, description: 'The current session id, when known (page 2+)' },
    url: { type: 'string', maxLength: 4096, description: 'The page URL (landing parameters classify the visit)' },
    referrer: { type: 'string', maxLength: 4096, description: 'document.referrer; empty for direct visits' },
    consent: { type: 'boolean', description: 'false: the page has not granted consent (nothing is stored, no pool number)' },
    clientIds: {
      type: 'object',
      additionalProperties: true,
      description: 'Analytics cookies: ym = _ym_uid, ga = _ga (or its client id); malformed values are ignored',
      properties: { ym: { type: 'string', maxLength: 64 }, ga: { type: 'string', maxLength: 128 } },
    },
    device: {
      type: 'object',
      additionalProperties: true,
      description: 'Device hints; only w, h, touch and lang are kept',
      properties: {
        w: { type: 'integer', minimum: 0, maximum: 100000 },
        h: { type: 'integer', minimum: 0, maximum: 100000 },
        touch: { type: 'boolean' },
        lang: { type: 'string', maxLength: 35 },
      },
    },
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
          fromForms: {
            type: 'array',
            items: { type: 'string', pattern: '^[0-9]+$' },
            description: 'Digits of `from` as pages print it: international, national with the trunk prefix, national without',
          },
          toForms: { type: 'array', items: { type: 'string', pattern: '^[0-9]+$' }, description: 'The same three forms of `to`' },
        },
      },
    },
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'When the leases end without a heartbeat' },
    heartbeatSeconds: { type: 'integer' },
    fallback: {
      type: 'boolean',
      description: "Present (true) when the live lease state was unreachable: session pools answered with their fallback or the site's own number",
    },
  },
} as const;

export const dniSiteRequestSchema = {
  $id: 'DniSiteRequest',
  type: 'object',
  additionalProperties: true,
  required: ['site'],
  properties: { site: siteKey, t: { type: 'number', description: 'Client time, epoch ms (ignored)' } },
} as const;

export const dniTelClickRequestSchema = {
  $id: 'DniTelClickRequest',
  type: 'object',
  additionalProperties: true,
  required: ['site', 'number'],
  properties: {
    site: siteKey,
    number: { type: 'string', maxLength: 32, description: 'The number of the clicked tel: link (E.164 when it is a tracking number)' },
    t: { type: 'number', description: 'Client time, epoch ms (ignored: the gateway clock is used)' },
  },
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
    fallback: { type: 'boolean', description: 'Present (true) when the live lease state was unreachable: nothing was extended' },
  },
} as const;

export const dniSessionParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessionId'],
  properties: { sessionId: token },
} as const;
