import { refusalOf } from '../http/outbound-guard.js';
import type { OutboundFetch } from '../http/outbound-guard.js';
import { DeliveryError, parseRetryAfter } from '../../features/outbox/outbox-handler.js';

/** The endpoint told us to stop for good (Standard Webhooks: 410 Gone): the sink is disabled. */
export class SinkGoneError extends DeliveryError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'SinkGoneError';
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * One HTTP request with a timeout, the caller's abort signal, and failures turned into `DeliveryError`s:
 * network errors and timeouts are retryable; what the answer means is left to the caller.
 */
export async function crmRequest(
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    signal: AbortSignal;
    /** The outbound guard's fetch (private addresses refused): required, so no CRM request can skip the guard. */
    fetch: OutboundFetch;
  },
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(init.timeoutMs);
  const signal = AbortSignal.any([timeout, init.signal]);
  try {
    const res = await init.fetch(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal,
      redirect: 'manual',
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    if (init.signal.aborted) throw err;
    const refused = refusalOf(err);
    if (refused) throw new DeliveryError(`${init.method} ${redact(url)} refused: ${refused.message}`, { retryable: false, cause: err });
    const why = timeout.aborted ? `timed out after ${init.timeoutMs} ms` : `failed: ${(err as Error).message}`;
    throw new DeliveryError(`${init.method} ${redact(url)} ${why}`, { retryable: true, cause: err });
  }
}

/** The usual HTTP meaning of a non-2xx answer for a CRM call: 429/5xx/408 retry (with Retry-After), other 4xx do not. */
export function httpFailure(what: string, a: HttpAnswer, detail = ''): DeliveryError {
  const retryable = a.status === 408 || a.status === 429 || a.status >= 500;
  const retryAfterMs = parseRetryAfter(a.headers.get('retry-after'), Date.now());
  return new DeliveryError(`${what} answered ${a.status}${detail ? `: ${detail}` : ''}`, { retryable, retryAfterMs });
}

/** Webhook URLs carry credentials in their path (Bitrix24) or query (apiKey): never put them in errors or logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}/…`;
  } catch {
    return '(invalid url)';
  }
}
