import type { RetryPolicy } from './retry-policy.js';
import type { RateLimit } from './token-bucket.js';
import type { OutboxMessage } from './outbox-types.js';

export interface DeliveryContext {
  /** Aborted when the worker stops or dies: give up the request, the row will be tried again. */
  readonly signal: AbortSignal;
}

/** What a topic does with its rows. Throwing means "not delivered"; returning means delivered. */
export interface OutboxHandler {
  readonly topic: string;
  readonly policy: RetryPolicy;
  /** The bucket this row draws from (per CRM account), or null for none. */
  rateLimit?(msg: OutboxMessage): Promise<RateLimit | null> | RateLimit | null;
  handle(msg: OutboxMessage, ctx: DeliveryContext): Promise<void>;
}

/**
 * A failed delivery that says how to go on. Any other thrown error counts as retryable.
 * `retryable: false` makes the row dead at once (bad configuration, 4xx the receiver will never accept).
 */
export class DeliveryError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number | undefined; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Parses a Retry-After header (seconds or an HTTP date) into ms from now. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
