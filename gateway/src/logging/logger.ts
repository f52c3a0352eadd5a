import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config.js';

export type Logger = PinoLogger;

// E.164 and other "+digits" phone numbers anywhere in a string.
const PHONE_RE = /\+\d[\d\s().-]{5,18}\d/g;
// Keys whose digit-only values are phone numbers even without a "+".
const PHONE_KEYS = /^(caller|callee|from|to|called|phone|e164|msisdn|callerid(num)?|connectedlinenum|destcalleridnum|forward(ed)?_?to|number)$/i;

/** Keeps the country code's first digits and the last two: "+14155550100" -> "+14*******00". */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return value;
  const prefix = value.startsWith('+') ? '+' : '';
  return `${prefix}${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}

// The same in URLs and form bodies, where "+" travels as %2B.
const ENCODED_PHONE_RE = /%2B\d{6,15}/gi;

export function maskPhonesInText(text: string): string {
  const plain = text.includes('+') ? text.replace(PHONE_RE, (m) => maskPhone(m)) : text;
  return /%2B/i.test(plain) ? plain.replace(ENCODED_PHONE_RE, (m) => `%2B${maskPhone(`+${m.slice(3)}`).slice(1)}`) : plain;
}

/** Errors are logged through pino's serializer; their message, stack and driver details (a unique-key violation
 * names the number) are masked like any other text. */
function maskError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  return maskValue('', out, 0, new WeakSet());
}

function maskValue(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    if (PHONE_KEYS.test(key) && /^\+?[\d\s().-]{6,20}$/.test(value)) return maskPhone(value);
    return value.includes('+') || value.includes('%') ? maskPhonesInText(value) : value;
  }
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(key, v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskValue(k, v, depth + 1, seen);
  return out;
}

/** Deep copy of a log record with every phone number masked (caller numbers are personal data). */
export function maskRecord(obj: Record<string, unknown>): Record<string, unknown> {
  return maskValue('', obj, 0, new WeakSet()) as Record<string, unknown>;
}

export function createLogger(opts: { level: LogLevel; name?: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: opts.name ?? 'gateway',
      level: opts.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => maskRecord(obj),
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPhonesInText(a) : a)) as typeof args;
          method.apply(this, masked);
        },
      },
      serializers: { err: maskError },
    },
    destination,
  );
}
