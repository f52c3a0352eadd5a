import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DbOrTrx } from '../../adapters/db/knex.js';
import { UnauthorizedError } from '../../errors/app-error.js';

/** Seconds a signed request stays acceptable either side of our clock; the same signature is refused within it. */
export const SIGNATURE_WINDOW_S = 300;
export const SIGNATURE_HEADER = 'x-dni-signature';
export const TIMESTAMP_HEADER = 'x-dni-timestamp';
export const SITE_KEY_HEADER = 'x-dni-site-key';

export const newSigningSecret = (): string => `isk_${randomBytes(24).toString('base64url')}`;

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`: what a site's backend sends in X-DNI-Signature. */
export function signInquiry(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** Pure check of one request: the timestamp is within the window and the signature matches (timing-safe). */
export function verifyInquirySignature(
  secret: string,
  input: { timestamp: string | undefined; signature: string | undefined; rawBody: string },
  nowS: number,
): void {
  if (!input.timestamp || !input.signature) throw new UnauthorizedError('X-DNI-Timestamp and X-DNI-Signature are required');
  if (!/^\d{1,12}$/.test(input.timestamp)) throw new UnauthorizedError('X-DNI-Timestamp must be Unix seconds');
  const ts = Number(input.timestamp);
  if (Math.abs(nowS - ts) > SIGNATURE_WINDOW_S) throw new UnauthorizedError('The signature timestamp is outside the accepted window');
  const expected = Buffer.from(signInquiry(secret, ts, input.rawBody));
  const got = Buffer.from(input.signature.trim());
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new UnauthorizedError('Bad signature');
}

/** Remembers an accepted signature for the window; false when it was seen before (a replay). */
export async function claimSignature(db: DbOrTrx, signature: string, now: Date): Promise<boolean> {
  // Old entries go with the writes: the table holds one window of signatures at most.
  await db('inquiry_signatures')
    .where('seen_at', '<', new Date(now.getTime() - 2 * SIGNATURE_WINDOW_S * 1000))
    .del();
  const rows = (await db('inquiry_signatures')
    .insert({ signature, seen_at: now })
    .onConflict('signature')
    .ignore()
    .returning('signature')) as unknown[];
  return rows.length === 1;
}
