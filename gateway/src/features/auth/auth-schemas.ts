import { API_KEY_ROLES } from '../../http/principal.js';

export const loginRequestSchema = {
  $id: 'LoginRequest',
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 320 },
    password: { type: 'string', minLength: 1, maxLength: 512 },
  },
} as const;

export const principalSchema = {
  $id: 'Principal',
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'role', 'userId', 'apiKeyId', 'via'],
  properties: {
    accountId: { type: 'string' },
    role: { type: 'string', enum: API_KEY_ROLES },
    userId: { type: ['string', 'null'] },
    apiKeyId: { type: ['string', 'null'] },
    via: { type: 'string', enum: ['api_key', 'session'] },
  },
} as const;

export const loginResponseSchema = {
  $id: 'LoginResponse',
  type: 'object',
  additionalProperties: false,
  required: ['principal', 'expiresAt'],
  properties: { principal: principalSchema, expiresAt: { type: 'string', format: 'date-time' } },
} as const;

export const apiKeySchema = {
  $id: 'ApiKey',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'role', 'displayPrefix', 'createdAt', 'lastUsedAt', 'expiresAt', 'revokedAt', 'userId'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: API_KEY_ROLES },
    userId: { type: ['string', 'null'] },
    displayPrefix: { type: 'string', description: 'The first characters of the key, to tell keys apart' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const createApiKeyRequestSchema = {
  $id: 'CreateApiKeyRequest',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    role: { type: 'string', enum: API_KEY_ROLES },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const createApiKeyResponseSchema = {
  $id: 'CreateApiKeyResponse',
  type: 'object',
  additionalProperties: false,
  required: ['key', 'token'],
  properties: { key: apiKeySchema, token: { type: 'string', description: 'Shown once; only its hash is stored' } },
} as const;

export const apiKeyListSchema = {
  $id: 'ApiKeyList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: apiKeySchema } },
} as const;

export const idParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
