import { API_KEY_ROLES } from '../../http/principal.js';

export const CONSOLE_LOCALES = ['en', 'ru'] as const;

export const profileSchema = {
  $id: 'MyProfile',
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'userId', 'email', 'name', 'role', 'locale'],
  properties: {
    accountId: { type: 'string' },
    userId: { type: ['string', 'null'], description: 'null when the caller is an API key' },
    email: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    // A PBX key is a principal too: /v1/me/session answers it (it has no profile beyond its role).
    role: { type: 'string', enum: API_KEY_ROLES },
    locale: { type: ['string', 'null'], enum: [...CONSOLE_LOCALES, null], description: "The console's language; null follows the browser" },
  },
} as const;

export const updateSettingsRequestSchema = {
  $id: 'UpdateMySettingsRequest',
  type: 'object',
  additionalProperties: false,
  required: ['locale'],
  properties: { locale: { type: ['string', 'null'], enum: [...CONSOLE_LOCALES, null] } },
} as const;

export const changePasswordRequestSchema = {
  $id: 'ChangeMyPasswordRequest',
  type: 'object',
  additionalProperties: false,
  required: ['currentPassword', 'newPassword'],
  properties: {
    currentPassword: { type: 'string', minLength: 1, maxLength: 512 },
    newPassword: { type: 'string', minLength: 12, maxLength: 512 },
  },
} as const;

export const sessionSchema = {
  $id: 'MySession',
  type: 'object',
  additionalProperties: false,
  required: ['signedIn', 'profile'],
  properties: { signedIn: { type: 'boolean' }, profile: { anyOf: [profileSchema, { type: 'null' }] } },
} as const;
