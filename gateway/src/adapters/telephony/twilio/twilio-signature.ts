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
    return twilio.validateRequest(input.authToken, input.signature, input.url, input.params as Record<string, string>);
  } catch {
    // A URL the validator cannot parse is simply not a valid signature.
    return false;
  }
}

/** The signature Twilio would send: used by tests, the call simulator and the benchmark. */
export function signTwilioRequest(authToken: string, url: string, params: TwilioParams): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params as Record<string, string>);
}
