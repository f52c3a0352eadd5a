import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec in fixtures/crm/webhooks): HMAC-SHA256 over
 * "{webhook-id}.{webhook-timestamp}.{raw body}" keyed with the base64-decoded part of a `whsec_` secret, sent as
 * `webhook-signature: v1,<base64>`.
 */

export const WEBHOOK_SECRET_PATTERN = '^whsec_[A-Za-z0-9+/=]{16,}$';

export function secretKey(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new Error('A Standard Webhooks secret starts with whsec_');
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * Verifies a received delivery: any of the space-separated `v1,` signatures may match (secret rotation), compared in
 * constant time, and the timestamp must be within `toleranceS` of now.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowMs: number,
  toleranceS = 300,
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceS) return false;
  const expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body).slice(3), 'base64');
  return signature.split(' ').some((part) => {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
