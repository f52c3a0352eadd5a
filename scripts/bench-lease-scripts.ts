/**
 * `npx tsx scripts/bench-lease-scripts.ts`: what the Redis lease scripts cost Redis itself, without HTTP or a gateway.
 *
 * Calls `RedisNumberLeaseStore` directly against a scratch key prefix (removed afterwards), on a simulated clock, in
 * the shape of `bench:dni`: a pool of BENCH_POOL_SIZE (25,000) numbers with 10 s leases and no hold, a new visitor per
 * lease at BENCH_RATE (2,000/s of simulated time, so leases end and numbers come back at the rate they go out, as in
 * the gateway run), the per-visitor cap of 2, no address cap; then, on a pool of 2,000 numbers with the default
 * policy, page two (a renewal of one of 1,000 live sessions) and a heartbeat. 50 calls in flight at a time. After a
 * warm-up that brings the pool to its steady state (every number leased once), each workload runs BENCH_CALLS calls;
 * then the history the new visitors appended is read and deleted the way `LeaseHistoryFlusher` does (XREADGROUP,
 * XACK + XDEL), so the stream's cost per lease is counted too. New visitors come with minted ids, as the gateway's.
 *
 * Prints per call: Redis's own time in the script (`INFO commandstats`, evalsha usec per call) and the Redis process's
 * CPU time per call (`INFO cpu`, user + sys: it counts the reading and writing of the commands too, and unlike
 * commandstats it does not count time the process spent descheduled on a loaded machine). Both are exact only on a
 * Redis that nothing else uses: run one for it, e.g. `redis-server --port 6391 --save ''` and
 * `REDIS_URL=redis://127.0.0.1:6391`. Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_CALLS (default 20000),
 * BENCH_POOL_SIZE, BENCH_RATE, BENCH_WORKLOADS (default new,page2; page2 includes the heartbeat), BENCH_MINTED=0 (new
 * visitors' ids not marked as minted).
 */
import { randomBytes } from 'node:crypto';
import { connectRedis } from '../gateway/src/adapters/redis/redis-client.js';
import { RedisNumberLeaseStore } from '../gateway/src/adapters/redis/redis-number-lease-store.js';
import { DEFAULT_LEASE_POLICY } from '../gateway/src/features/number-pools/number-lease-store-type.js';
import type { LeasePool } from '../gateway/src/features/number-pools/number-lease-store-type.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import type { Db } from '../gateway/src/adapters/db/knex.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 25_000);
const RATE = Number(process.env.BENCH_RATE ?? 2_000);
const IN_FLIGHT = 50;
const PAGE2_SESSIONS = 1_000;
const PAGE2_POOL_SIZE = 2_000;
const CAPS = { perVisitor: 2, perAddress: 0 };
/** New visitors come with ids the gateway minted for them, as in bench:dni; BENCH_MINTED=0: as if they were not. */
const MINTED = process.env.BENCH_MINTED !== '0';
const WORKLOADS = new Set((process.env.BENCH_WORKLOADS ?? 'new,page2').split(','));

const logger = createLogger({ level: 'silent' });
const keyPrefix = `bench-ls:${randomBytes(4).toString('hex')}:`;
const redis = await connectRedis({ url: REDIS_URL, keyPrefix }, logger);
const c = redis.client;
// The history is read here the flusher's way, not written to SQL: the store's database is never touched.
const store = new RedisNumberLeaseStore(redis, null as unknown as Db, logger);
const pool: LeasePool = {
  id: `bench${randomBytes(4).toString('hex')}`,
  accountId: 'benchacc',
  policy: { activeWindowMs: 10_000, holdMs: 0, sticky: true, reclaim: true },
};
const second: LeasePool = { id: `${pool.id}p2`, accountId: 'benchacc', policy: DEFAULT_LEASE_POLICY };
const stream = `${keyPrefix}lp:{${pool.id}}:log`;

interface Stats {
  /** command -> [calls, usec] */
  commands: Map<string, [number, number]>;
  cpu: number;
}
async function stats(): Promise<Stats> {
  const [cmd, cpu] = await Promise.all([c.info('commandstats'), c.info('cpu')]);
  const commands = new Map<string, [number, number]>();
  for (const m of cmd.matchAll(/cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/g)) commands.set(m[1]!, [Number(m[2]), Number(m[3])]);
  const user = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  return { commands, cpu: (user + sys) * 1e6 };
}

/** Runs `n` calls of `fn(i)`, IN_FLIGHT at a time. */
async function drive(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

let clock = 1_700_000_000_000;
const tick = (): number => {
  clock += 1_000 / RATE;
  return Math.floor(clock);
};
let visitors = 0;
const newVisitor = () => {
  const v = `v${visitors++}`;
  return store.lease(pool, {
    sessionId: `s${v}`,
    visitorId: v,
    now: tick(),
    holds: CAPS,
    ...(MINTED ? { minted: { session: true, visitor: true } } : {}),
  });
};

/**
 * Runs the calls and prints Redis's time per call of `command` (or per `per` when given) and its CPU, then the
 * commands the scripts ran inside (commandstats counts them too): calls and µs per call of `command`.
 */
async function measure(name: string, command: string, n: number, fn: (i: number) => Promise<unknown>, per?: number): Promise<void> {
  const before = await stats();
  await drive(n, fn);
  const after = await stats();
  const delta = (k: string): [number, number] => {
    const a = after.commands.get(k) ?? [0, 0];
    const b = before.commands.get(k) ?? [0, 0];
    return [a[0] - b[0], a[1] - b[1]];
  };
  const [calls, usec] = delta(command);
  const div = Math.max(1, per ?? calls);
  const each = (x: number) => (x / div).toFixed(1);
  const unit = per === undefined ? 'call' : 'lease';
  process.stdout.write(
    `${name.padEnd(12)} ${String(calls).padStart(6)} ${command}  ${each(usec).padStart(6)} µs/${unit}  redis cpu ${each(after.cpu - before.cpu).padStart(6)} µs/${unit}\n`,
  );
  const inner = [...after.commands.keys()]
    .filter((k) => k !== command && k !== 'info')
    .map((k) => [k, ...delta(k)] as const)
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[2] - a[2]);
  process.stdout.write(`${''.padEnd(14)}${inner.map(([k, calls, us]) => `${k} ${(calls / div).toFixed(2)}× ${(us / div).toFixed(1)}`).join(', ')}\n`);
}

/** Reads and deletes the stream the flusher's way; returns the entries it took. */
async function drain(): Promise<number> {
  let total = 0;
  for (;;) {
    const reply = (await c.sendCommand(['XREADGROUP', 'GROUP', 'history', 'bench', 'COUNT', '500', 'STREAMS', stream, '>'])) as
      | [string, [string, string[]][]][]
      | Record<string, [string, string[]][]>
      | null;
    const entries = !reply ? [] : Array.isArray(reply) ? (reply[0]?.[1] ?? []) : (Object.values(reply)[0] ?? []);
    if (entries.length === 0) return total;
    const ids = entries.map(([id]) => id);
    await c.multi().xAck(stream, 'history', ids).xDel(stream, ids).exec();
    total += entries.length;
  }
}

try {
  const numbers = Array.from({ length: POOL_SIZE }, (_, i) => ({
    trackingNumberId: `n${i}`,
    e164: `+1555${String(i).padStart(7, '0')}`,
    status: 'active' as const,
  }));
  const t0 = Date.now();
  await store.syncPool(pool, numbers, tick());
  process.stdout.write(`bench:lease-scripts  ${REDIS_URL}  pool ${POOL_SIZE}, sync ${Date.now() - t0} ms\n`);
  await c.sendCommand(['XGROUP', 'CREATE', stream, 'history', '0', 'MKSTREAM']);
  // Warm-up: every number leased once, so the free set holds released numbers as it does in a long run.
  await drive(POOL_SIZE + RATE * 10, () => newVisitor());
  await drain();
  if (WORKLOADS.has('new')) {
    await measure('new visitor', 'evalsha', CALLS, () => newVisitor());
    // The flusher's reads and deletes of what those visitors appended, per new visitor (usec: XREADGROUP only).
    let entries = 0;
    await measure(
      '  history',
      'xreadgroup',
      1,
      async () => {
        entries = await drain();
      },
      CALLS,
    );
    process.stdout.write(`  (stream entries per new visitor: ${(entries / CALLS).toFixed(2)})\n`);
  }
  if (WORKLOADS.has('page2')) {
    // Page two on a pool of its own with the default policy, as in bench:dni: renewals, nothing ends meanwhile.
    await store.syncPool(second, numbers.slice(0, PAGE2_POOL_SIZE), tick());
    const page2 = Array.from({ length: PAGE2_SESSIONS }, (_, i) => `p${i}`);
    await drive(PAGE2_SESSIONS, (i) => store.lease(second, { sessionId: `s${page2[i]}`, visitorId: page2[i]!, now: tick(), holds: CAPS }));
    await measure('page two', 'evalsha', CALLS, (i) => {
      const v = page2[i % PAGE2_SESSIONS]!;
      return store.lease(second, { sessionId: `s${v}`, visitorId: v, now: tick(), holds: CAPS });
    });
    await measure('heartbeat', 'evalsha', CALLS, (i) => store.heartbeat(second, `s${page2[i % PAGE2_SESSIONS]}`, tick()));
  }
} finally {
  for await (const keys of c.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) if (keys.length) await c.del(keys);
  await redis.close();
}
