/**
 * `npm run bench:leases`: lease throughput through the gateway's public route against the bare ceiling.
 *
 * 1. Creates a bench site with one session pool of 2,000 numbers in DATABASE_URL (removed afterwards).
 * 2. Starts the built gateway (`gateway/dist`, as `npm start` runs it; the npm script builds first) in server mode
 *    (DATABASE_URL + REDIS_URL) and the ceiling (node:http answering after one EVALSHA), then drives
 *    `POST /v1/dni/sessions` and the ceiling over loopback with autocannon, in interleaved rounds: 50 connections,
 *    each request a visit of one of 1,500 sessions (first visit: a new lease; later ones: a renewal), both one Lua
 *    script round trip.
 * 3. Prints both throughputs (mean of rounds), p50 (median of rounds) and p99 (worst round) and their ratio, then
 *    checks the lease history: once flushed at shutdown, number_leases must hold one row per live lease.
 *
 * Env: DATABASE_URL, REDIS_URL (required); BENCH_SECONDS (measured seconds per target, default 6, after 2 s of
 * warm-up), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 50), BENCH_GATEWAY_NODE_ARGS (extra node flags for
 * the gateway process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { createClient } from 'redis';
import { ROOT, deleteRedisKeys, freePort, runBench, startGateway, stopProcess } from './lib/gateway-process.js';
import { SessionIds } from '../gateway/src/features/dni/session-ids.js';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = 2;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POOL_SIZE = 2_000;
const SESSIONS = 1_500;

if (!DATABASE_URL || !REDIS_URL) {
  process.stderr.write('bench:leases needs DATABASE_URL (PostgreSQL) and REDIS_URL\n');
  process.exit(2);
}
const redisUrl: string = REDIS_URL;

// The gateway resumes only session ids it minted: the bench holds the gateway's key and mints them the same way.
const ENCRYPTION_KEY = randomBytes(32);
const SESSION_IDS = (() => {
  const ids = new SessionIds(ENCRYPTION_KEY);
  return Array.from({ length: SESSIONS }, () => ids.mint());
})();

const sessionBody = (siteKey: string) => (): string => {
  // A returning widget sends both ids, as the real one does after its first answer.
  const i = Math.floor(Math.random() * SESSIONS);
  const n = String(i).padStart(5, '0');
  return JSON.stringify({ site: siteKey, visitor: `benchv${n}`, session: SESSION_IDS[i], url: 'http://localhost/' });
};

async function drive(url: string, body: () => string, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    // A browser's user agent: the gateway gives crawlers (and clients without one) no pool number.
    headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36' },
    requests: [{ method: 'POST', setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }],
  });
}

/** Rounds together: mean throughput, median p50, worst p99. */
function combine(rs: readonly AutocannonResult[]): AutocannonResult {
  const p50s = rs.map((r) => r.latency.p50).sort((a, b) => a - b);
  return {
    requests: { average: rs.reduce((s, r) => s + r.requests.average, 0) / rs.length },
    latency: {
      p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
      p99: Math.max(...rs.map((r) => r.latency.p99)),
      average: rs.reduce((s, r) => s + r.latency.average, 0) / rs.length,
    },
    non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
    errors: rs.reduce((s, r) => s + r.errors, 0),
    timeouts: rs.reduce((s, r) => s + r.timeouts, 0),
  };
}

const fmt = (r: AutocannonResult): string =>
  `${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms (non-2xx ${r.non2xx}, errors ${r.errors})`;

const db = knexFactory({ client: 'pg', connection: DATABASE_URL, pool: { min: 0, max: 2 } });
const tag = randomBytes(3).toString('hex');
const siteKey = `bench-${tag}`;
const keyPrefix = `bench${tag}:`;
const children: ChildProcess[] = [];
let siteId: string | null = null;
let poolId: string | null = null;

async function main(): Promise<void> {
  // The gateway migrates on start; run it once first so the tables exist for the bench site.
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bench-')),
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'warn',
    DEMO_SEED: 'false',
    // One loopback address drives every visit: no per-address limit here.
    DNI_SESSIONS_PER_MINUTE: '0',
    DNI_MAX_NUMBERS_PER_ADDRESS: '0',
    ENCRYPTION_KEY: ENCRYPTION_KEY.toString('base64'),
  };
  const start = async (): Promise<ChildProcess> => {
    const c = await startGateway({ env, port });
    children.push(c);
    return c;
  };

  let gw = await start();
  await stopProcess(gw);
  siteId = `bench_site_${tag}`;
  poolId = `bench_pool_${tag}`;
  let account = (await db('accounts').orderBy('created_at').first()) as { id: string } | undefined;
  if (!account) {
    account = { id: `bench_account_${tag}` };
    await db('accounts').insert({ id: account.id, name: 'Bench' });
  }
  await db('sites').insert({
    id: siteId,
    account_id: account.id,
    name: `Bench ${tag}`,
    public_key: siteKey,
    canonical_numbers: JSON.stringify(['+15550000000']),
  });
  await db('pools').insert({ id: poolId, account_id: account.id, site_id: siteId, name: 'Bench', kind: 'session', canonical_number: '+15550000000' });
  const area = 100 + Math.floor(Math.random() * 800);
  const rows = Array.from({ length: POOL_SIZE }, (_, i) => ({
    id: `bench_n_${tag}_${i}`,
    account_id: account.id,
    site_id: siteId,
    pool_id: poolId,
    e164: `+4479${area}${String(i).padStart(5, '0')}`,
    provider: 'asterisk',
    status: 'active',
  }));
  for (let i = 0; i < rows.length; i += 500) await db('tracking_numbers').insert(rows.slice(i, i + 500));

  gw = await start();
  const ceilingProc = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-ceiling-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_KEY: `${keyPrefix}{ceiling}:free` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(ceilingProc);
  const ceilingPort = await new Promise<number>((resolve, reject) => {
    ceilingProc.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    ceilingProc.once('exit', (code) => reject(new Error(`ceiling server exited with ${code}`)));
  });
  const targets = { gateway: `http://127.0.0.1:${port}/v1/dni/sessions`, ceiling: `http://127.0.0.1:${ceilingPort}/` };
  // Warm-up: JIT, connection pools, and the first visit of every session (new leases, history writes) are done here.
  await drive(targets.gateway, sessionBody(siteKey), WARMUP_SECONDS);
  await drive(targets.ceiling, sessionBody(siteKey), WARMUP_SECONDS);
  // Interleaved rounds, so a burst of other work on a shared machine hits both sides alike.
  const rounds: Record<keyof typeof targets, AutocannonResult[]> = { gateway: [], ceiling: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of ['gateway', 'ceiling'] as const) {
      const res = await drive(targets[name], sessionBody(siteKey), SECONDS / ROUNDS);
      rounds[name].push(res);
      process.stdout.write(`  round ${r + 1} ${name.padEnd(7)} ${fmt(res)}\n`);
    }
  }
  const gateway = combine(rounds.gateway);
  const ceiling = combine(rounds.ceiling);
  process.stdout.write(`gateway  POST /v1/dni/sessions: ${fmt(gateway)}\n`);
  process.stdout.write(`ceiling  node:http + EVALSHA:    ${fmt(ceiling)}\n`);
  await stopProcess(ceilingProc);
  await stopProcess(gw);

  // History check: the gateway flushed its streams at shutdown; every live lease must have its row.
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const live = await redis.hLen(`${keyPrefix}lp:{${poolId}}:sess`);
  const pending = await redis.xLen(`${keyPrefix}lp:{${poolId}}:log`);
  await redis.close();
  const history = Number(((await db('number_leases').where({ pool_id: poolId }).count('* as n')) as { n: string }[])[0]!.n);
  process.stdout.write(
    `history  number_leases rows ${history}, live leases ${live}, unflushed stream entries ${pending}: ${history === live && pending === 0 ? 'consistent' : 'MISMATCH'}\n`,
  );

  // Visit rows are written behind the answers; the gateway flushed them at shutdown.
  const count = async (table: string) => Number(((await db(table).where({ site_id: siteId }).count('* as n')) as { n: string }[])[0]!.n);
  const sessions = await count('web_sessions');
  const visitors = await count('visitors');
  process.stdout.write(`visits   web_sessions rows ${sessions} (of ${SESSIONS} sessions driven), visitors rows ${visitors}\n`);

  const ratio = gateway.requests.average / ceiling.requests.average;
  process.stdout.write(`p99 gateway ${gateway.latency.p99} ms (target ≤ 10 ms), ratio target ≥ 0.5\n`);
  process.stdout.write(
    `leases: gateway ${Math.round(gateway.requests.average)} req/s, ceiling ${Math.round(ceiling.requests.average)} req/s, ratio ${ratio.toFixed(2)}\n`,
  );
}

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (poolId) {
    await db('number_leases').where({ pool_id: poolId }).del();
    await db('pool_health_samples').where({ pool_id: poolId }).del();
    await db('tracking_numbers').where({ pool_id: poolId }).del();
  }
  if (siteId) await db('sites').where({ id: siteId }).del();
  await db.destroy();
  await deleteRedisKeys(redisUrl, keyPrefix);
}

await runBench(main, cleanup);
