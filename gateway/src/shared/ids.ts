import { randomFillSync } from 'node:crypto';

/**
 * Sortable unique ids (ULID: 48-bit millisecond time + 80 random bits, Crockford base32, 26 characters), monotonic
 * within a process: ids made in the same millisecond (or after the clock stepped back) increment the previous random
 * part, as the `ulid` package's monotonic factory does.
 *
 * Why not that package here: it draws one random byte per character through a separate `getRandomValues` call, about
 * 5 % of the CPU of the widget's lease route under load (two ids per request). This draws randomness in 4 KiB blocks.
 */

const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_CHARS = 16;
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;
let lastTime = -1;
const lastRandom = new Uint8Array(RANDOM_CHARS);

function freshRandom(): void {
  if (poolAt + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  // 256 is a multiple of 32: the low five bits of a uniform byte are uniform.
  for (let i = 0; i < RANDOM_CHARS; i++) lastRandom[i] = pool[poolAt + i]! & 31;
  poolAt += RANDOM_CHARS;
}

function incrementRandom(): void {
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    if (lastRandom[i]! < 31) {
      lastRandom[i]! += 1;
      return;
    }
    lastRandom[i] = 0;
  }
  throw new Error('ULID random part overflowed within one millisecond');
}

const VALUE_OF = new Map([...ENCODING].flatMap((c, i) => [[c.charCodeAt(0), i] as const, [c.toLowerCase().charCodeAt(0), i] as const]));

/**
 * The millisecond time of the ULID at `offset` in `id` (the first 10 characters of it), or NaN when those are not
 * 10 characters of the alphabet (either case): what the `ulid` package's `decodeTime` accepts, without its
 * string split and reduce on every heartbeat and page of a session.
 */
export function timeOfId(id: string, offset = 0): number {
  if (id.length < offset + 26) return Number.NaN;
  let t = 0;
  for (let i = offset; i < offset + 10; i++) {
    const v = VALUE_OF.get(id.charCodeAt(i));
    if (v === undefined) return Number.NaN;
    t = t * 32 + v;
  }
  // 2^48 - 1: a larger time is no ULID.
  return t > 281_474_976_710_655 ? Number.NaN : t;
}

/** The id being made, as ASCII: one string made from it instead of 26 concatenations (~1 µs less per id, 2 per visit). */
const CODES = Buffer.from(ENCODING, 'latin1');
const out = Buffer.alloc(26);

export function newId(): string {
  const now = Date.now();
  if (now > lastTime) {
    lastTime = now;
    freshRandom();
    // The time part changes once per millisecond at most.
    let t = lastTime;
    for (let i = 9; i >= 0; i--) {
      const mod = t % 32;
      out[i] = CODES[mod]!;
      t = (t - mod) / 32;
    }
  } else {
    incrementRandom();
  }
  for (let i = 0; i < RANDOM_CHARS; i++) out[10 + i] = CODES[lastRandom[i]!]!;
  return out.toString('latin1');
}
