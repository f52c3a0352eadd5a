import { request } from 'node:http';
import fc from 'fast-check';

/**
 * Shared pieces of the property-based fuzz suite: hostile values, a seed that is printed on failure, and a runner
 * that sends generated requests a few at a time and collects every answer that breaks the rules.
 */

/** FUZZ_SEED reproduces a run; otherwise one seed per process, printed with any failure. */
export const FUZZ_SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || Math.floor(Math.random() * 0x7fffffff);

/** Characters and fragments that broke gateways before: NUL, C0 controls, lone surrogates, traversal, markup. */
const FRAGMENTS = [
  '\u0000',
  '\u0007',
  '\u000b',
  '\u001b',
  '\u007f',
  '\ud800',
  '\udfff',
  '\uffff',
  '\ufffe',
  '\u202e',
  '\u2028',
  '%00',
  '%',
  '%zz',
  '../',
  '..\\',
  '\\',
  '"',
  "'",
  '<',
  ']]>',
  '&',
  '\r\n',
  '𝕏',
  'й',
  '{{',
  '${',
  '__proto__',
] as const;

export const hostileString = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }).map((a) => a.join('')),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 8 })).map(([a, b, c]) => a + b + c),
  fc.constantFrom('', ' ', 'demo', '+14155550101', '+1415555010', '2026-11-20', 'null', 'true', '0', '-1', 'a'.repeat(5000)),
);

export const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324),
);

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'] as const;
export const hostileKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), hostileString);

/** Any JSON value, with hostile strings and keys, up to a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Bodies that are not what JSON.stringify makes: deep nesting, huge literals, broken text, prototype keys. */
export const rawJsonText = fc.oneof(
  fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 12_000 })).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 12_000 })).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  // Deep and with an escape: the widget's fast path cleans escaped control characters, recursively.
  fc.integer({ min: 1, max: 4_000 }).map((n) => `${'['.repeat(n)}"\\u0000"${']'.repeat(n)}`),
  fc.constantFrom(
    '1e999999',
    '{"site":1e999999}',
    '{"site":"demo","device":{"w":123456789012345678901234567890}}',
    '{"__proto__":{"polluted":"yes"},"site":"demo"}',
    '{"constructor":{"prototype":{"polluted":"yes"}},"site":"demo"}',
    '{"site":"demo","url":"\\u0000\\ud800"}',
    '{"site":"demo"',
    '{"site":"demo"}}',
    '\u0000',
    '\ufeff{"site":"demo"}',
    '[]',
    'null',
    '"demo"',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
);

export interface FuzzResult {
  readonly status: number;
  readonly text: string;
  readonly contentType: string;
}

export interface FuzzCounters {
  requests: number;
  byStatus: Map<number, number>;
}

export const counters: FuzzCounters = { requests: 0, byStatus: new Map() };

/**
 * Samples `numRuns` inputs from `arb` (seeded: FUZZ_SEED and the property's name), sends each through `send`, and
 * checks every answer with `check` (which returns a reason, or null). Sending several at a time keeps the suite
 * inside its time budget; sampling instead of fc.assert gives up shrinking, so failures are printed with the input.
 */
export async function fuzzRequests<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  numRuns: number,
  send: (input: T) => Promise<FuzzResult>,
  check: (input: T, r: FuzzResult) => string | null,
  concurrency = 12,
): Promise<void> {
  const seed = (FUZZ_SEED ^ hashName(name)) >>> 0;
  const inputs = fc.sample(arb, { seed, numRuns });
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const input = inputs[next++] as T;
      let r: FuzzResult;
      try {
        r = await send(input);
      } catch (err) {
        failures.push(`no answer (${(err as Error).message}) for ${show(input)}`);
        continue;
      }
      counters.requests++;
      counters.byStatus.set(r.status, (counters.byStatus.get(r.status) ?? 0) + 1);
      const reason = check(input, r);
      if (reason) failures.push(`${reason}: ${r.status} ${r.text.slice(0, 200)} for ${show(input)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failures.length > 0) {
    throw new Error(
      `${name}: ${failures.length} of ${inputs.length} inputs broke a rule (reproduce with FUZZ_SEED=${FUZZ_SEED}):\n${failures.slice(0, 8).join('\n')}`,
    );
  }
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h;
}

function show(input: unknown): string {
  const s = typeof input === 'string' ? JSON.stringify(input) : fc.stringify(input);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** The one error shape: { id, name, message, details[] } with a message per detail. */
export function isErrorShape(text: string): boolean {
  try {
    const e = JSON.parse(text) as Record<string, unknown>;
    return (
      typeof e.id === 'string' &&
      typeof e.name === 'string' &&
      typeof e.message === 'string' &&
      Array.isArray(e.details) &&
      e.details.every((d) => !!d && typeof (d as { message?: unknown }).message === 'string')
    );
  } catch {
    return false;
  }
}

/** No 5xx; a JSON 4xx in the error shape. */
export function standardCheck(_input: unknown, r: FuzzResult): string | null {
  if (r.status >= 500) return 'a 5xx';
  if (r.status < 200 || (r.status >= 300 && r.status < 400 && r.status !== 301 && r.status !== 302 && r.status !== 304)) return 'an odd status';
  if (r.status >= 400 && r.contentType.startsWith('application/json') && !isErrorShape(r.text)) return 'a 4xx not in the error shape';
  return null;
}

/** The field as the widget would send it, or (one time in four) any hostile JSON value instead. */
export const maybe = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: hostileJson });

/** Percent-encodes every UTF-8 byte (encodeURIComponent throws on a lone surrogate). */
export const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

export async function answer(res: Response): Promise<FuzzResult> {
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

/** A GET with the path exactly as written (no dot-segment normalisation), over node:http. */
export async function rawGet(baseUrl: string, path: string): Promise<FuzzResult> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'GET', path, headers: { connection: 'keep-alive' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          contentType: String(res.headers['content-type'] ?? ''),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
