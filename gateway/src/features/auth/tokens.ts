import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'ctk_';
export const SESSION_PREFIX = 'cts_';

/** 256 random bits, URL-safe. Keys are high-entropy, so a fast hash is enough to store them (no password KDF). */
export function newSecretToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function displayPrefix(token: string): string {
  return token.slice(0, API_KEY_PREFIX.length + 6);
}
