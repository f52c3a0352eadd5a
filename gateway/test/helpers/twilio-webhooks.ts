import { signTwilioRequest } from '../../src/adapters/telephony/twilio/twilio-signature.js';

export { answeredCallCallbacks, inboundParams, randomSid } from '../../src/adapters/telephony/twilio/twilio-call-script.js';

/** Posting signed Twilio webhooks the way Twilio does: form-encoded, signed over the public URL. */

export interface TwilioPoster {
  post(
    path: 'voice' | 'status' | 'dial-status' | 'recording' | string,
    params: Record<string, string>,
    opts?: { signature?: string | null; query?: string },
  ): Promise<Response>;
}

/**
 * `baseUrl` is where the request goes (loopback); `publicBaseUrl` is what Twilio signed (the proxy's public URL).
 */
export function twilioPoster(baseUrl: string, publicBaseUrl: string, authToken: string): TwilioPoster {
  return {
    async post(path, params, opts = {}) {
      const suffix = `/v1/telephony/twilio/${path}${opts.query ? `?${opts.query}` : ''}`;
      const signature =
        opts.signature === undefined ? signTwilioRequest(authToken, `${publicBaseUrl.replace(/\/$/, '')}${suffix}`, params) : opts.signature;
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (signature !== null) headers['x-twilio-signature'] = signature;
      return fetch(`${baseUrl}${suffix}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    },
  };
}

/** Polls until `fn` returns a truthy value, for at most `ms`. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
