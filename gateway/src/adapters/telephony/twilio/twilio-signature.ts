import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import twilio from 'twilio';

/**
 * `X-Twilio-Signature` checks as pure functions. Twilio signs the URL it requested (scheme, host, port, path and
 * query as configured on the number), so behind a proxy or TLS terminator the URL is rebuilt from the configured
 * public base URL plus the request's path and raw query, never from the Host header or the socket.
 */

export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

/**
 * The URL Twilio requested. `originalUrl` is the request target as received (path + raw, still-encoded query).
 * When the public base URL has a path prefix that the proxy strips, the prefix is put back.
 */
export function publicWebhookUrl(publicBaseUrl: URL, originalUrl: string): string {
  return publicWebhookUrls(publicBaseUrl)(originalUrl);
}

/** `publicWebhookUrl` with the base URL's parts taken apart once (its getters cost more than the rest). */
export function publicWebhookUrls(publicBaseUrl: URL): (originalUrl: string) => string {
  const origin = `${publicBaseUrl.protocol}//${publicBaseUrl.username ? `${publicBaseUrl.username}${publicBaseUrl.password ? `:${publicBaseUrl.password}` : ''}@` : ''}${publicBaseUrl.host}`;
  const prefix = publicBaseUrl.pathname.replace(/\/+$/, '');
  return (originalUrl) => withBase(origin, prefix, originalUrl);
}

function withBase(origin: string, prefix: string, originalUrl: string): string {
  const target = originalUrl.startsWith('/') ? originalUrl : `/${originalUrl}`;
  const pathPart = target.split('?')[0]!;
  const withPrefix = prefix && !(pathPart === prefix || pathPart.startsWith(`${prefix}/`)) ? `${prefix}${target}` : target;
  return `${origin}${withPrefix}`;
}

export interface SignatureInput {
  readonly authToken: string;
  /** The full URL Twilio requested (see `publicWebhookUrl`). */
  readonly url: string;
  /** Form parameters as posted (repeated keys as arrays); ignored for JSON bodies. */
  readonly params: TwilioParams;
  readonly signature: string | undefined;
  /** The raw body, needed when Twilio posts JSON (the URL then carries `bodySHA256`). */
  readonly rawBody?: string | undefined;
}

/**
 * True when the signature matches. Delegates to twilio's `validateRequest`, which also tries the URL with and
 * without the default port and in `new URL()`-normalised and legacy-querystring forms, because Twilio's back ends
 * have signed each of those forms at one time or another (constant-time comparison inside).
 */
export function verifyTwilioSignature(input: SignatureInput): boolean {
  if (!input.signature || !input.authToken) return false;
  let hasBodyHash = false;
  // Parsed only when it may carry the body hash: the URL object is a noticeable share of a voice answer's CPU time.
  if (input.url.includes('bodySHA256'))
    try {
      hasBodyHash = new URL(input.url).searchParams.has('bodySHA256');
    } catch {
      return false;
    }
  try {
    if (hasBodyHash) return twilio.validateRequestWithBody(input.authToken, input.signature, input.url, input.rawBody ?? '');
    // The URL as rebuilt is the string Twilio signs, so one HMAC on a key imported once settles a genuine request;
    // only a mismatch pays for the validator's other URL forms.
    if (matchesAsGiven(input.authToken, input.signature, input.url, input.params)) return true;
    return twilio.validateRequest(input.authToken, input.signature, input.url, input.params as Record<string, string>);
  } catch {
    // A URL the validator cannot parse is simply not a valid signature.
    return false;
  }
}

/**
 * HMAC keys by auth token, imported once: importing the token on every request is a fifth of the HMAC's cost, and a
 * burst checks the same few tokens hundreds of times. Bounded by the logins one gateway holds; emptied when full.
 */
const HMAC_KEYS = new Map<string, KeyObject>();
const HMAC_KEYS_MAX = 1_000;

function hmacKey(authToken: string): KeyObject {
  let key = HMAC_KEYS.get(authToken);
  if (!key) {
    if (HMAC_KEYS.size >= HMAC_KEYS_MAX) HMAC_KEYS.clear();
    key = createSecretKey(Buffer.from(authToken, 'utf8'));
    HMAC_KEYS.set(authToken, key);
  }
  return key;
}

/** twilio's getExpectedTwilioSignature (URL, then each key and its values, keys sorted), on the imported key. */
export function matchesAsGiven(authToken: string, signature: string, url: string, params: TwilioParams): boolean {
  let data = url;
  for (const k of Object.keys(params).sort()) {
    const v = params[k]!;
    if (typeof v === 'string') data += k + v;
    else for (const each of [...new Set(v)].sort()) data += k + each;
  }
  const expected = Buffer.from(createHmac('sha1', hmacKey(authToken)).update(data, 'utf8').digest('base64'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The signature Twilio would send: used by tests, the call simulator and the benchmark. */
export function signTwilioRequest(authToken: string, url: string, params: TwilioParams): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params as Record<string, string>);
}
