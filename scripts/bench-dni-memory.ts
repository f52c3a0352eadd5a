/**
 * `npm run bench:dni-memory`: the gateway's resident memory as distinct sessions pile up, in each mode.
 *
 * Starts the built gateway (server mode on a scratch database and a key prefix in Redis; embedded mode on PGlite in
 * a fresh DATA_DIR, whose thread is part of the same process and so of its RSS), then drives new visitors (each
 * request a session the gateway has never seen, a browser user agent, 50 connections, at most BENCH_RATE requests/s
 * so the write-behind keeps up as it would in production) and prints the process's RSS (VmRSS, /proc) at 10,000,
 * 100,000, 300,000 and BENCH_SESSIONS sessions, after BENCH_IDLE_SECONDS idle, and the ratio of the last to the
 * first, and how many visit rows the write-behind had to drop (gateway_dni_visit_rows_lost_total). Target: within
 * 1.5x after 1,000,000 sessions. The load comes from a lean keep-alive loop (scripts/lib/lean-load.ts), not autocannon,
 * so a million sessions take minutes.
 *
 * Env: DATABASE_URL (a PostgreSQL server to create the scratch database on; default
 * postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL (default redis://127.0.0.1:6379), BENCH_MODES (default
 * server,embedded), BENCH_SESSIONS (default 1000000), BENCH_RATE (default 3000; 0 = unpaced), BENCH_IDLE_SECONDS (default 10). Last line: one
 * `memory:` line with each mode's ratio and dropped rows.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { BROWSER_UA } from './lib/autocannon-rounds.js';
import { startDniGateway } from './lib/bench-dni-site.js';
import { deleteRedisKeys, runBench, stopProcess } from './lib/gateway-process.js';
import { leanLoad } from './lib/lean-load.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MODES = (process.env.BENCH_MODES ?? 'server,embedded').split(',').filter((m): m is 'server' | 'embedded' => m === 'server' || m === 'embedded');
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 3_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const CHECKPOINTS = [10_000, 100_000, 300_000, 600_000, SESSIONS].filter((n, i, a) => n <= SESSIONS && a.indexOf(n) === i);

const tag = randomBytes(3).toString('hex');
const keyPrefix = `benchmem${tag}:`;
const scratchDb = `bench_dni_mem_${tag}`;
const scratchUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${scratchDb}` }).toString();
const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
const dir = mkdtempSync(path.join(tmpdir(), 'bench-dni-mem-'));
const children: ChildProcess[] = [];
const results: string[] = [];
let created = false;

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

async function measure(mode: 'server' | 'embedded'): Promise<void> {
  const gw = await startDniGateway({
    mode,
    dataDir: path.join(dir, mode),
    pgUrl: scratchUrl,
    redisUrl,
    keyPrefix,
    tag: `${tag}${mode[0]}`,
    poolSize: 2_000,
    sites: ['mem'],
    children,
  });
  // Distinct landing pages too (a query parameter per visit), so no cache keyed by page may hide a leak.
  let seq = 0;
  const body = (): string =>
    JSON.stringify({
      site: gw.sites.mem.siteKey,
      url: `https://www.example.com/landing?utm_source=google&utm_medium=cpc&gclid=${(seq++).toString(36)}`,
      referrer: 'https://www.google.com/',
    });
  const lost = async (): Promise<number> => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    return Number(/^gateway_dni_visit_rows_lost_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  let done = 0;
  let first = 0;
  let warm = 0;
  let lostRows = 0;
  const started = Date.now();
  for (const target of CHECKPOINTS) {
    const r = await leanLoad({
      url: `${gw.url}/v1/dni/sessions`,
      amount: target - done,
      connections: 50,
      rate: RATE,
      headers: { 'content-type': 'text/plain', 'user-agent': BROWSER_UA },
      body,
    });
    done = target;
    const rss = rssMiB(gw.pid);
    if (!first) first = rss;
    else if (!warm) warm = rss;
    lostRows = await lost();
    process.stdout.write(
      `  ${mode.padEnd(8)} ${String(done).padStart(9)} sessions  RSS ${rss.toFixed(0).padStart(5)} MiB  (${(rss / first).toFixed(2)}x)  ` +
        `${Math.round(r.total / r.seconds)} req/s  non-2xx ${r.non2xx} errors ${r.errors}  rows dropped ${lostRows}  ` +
        `${Math.round((Date.now() - started) / 1000)} s\n`,
    );
  }
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const idle = rssMiB(gw.pid);
  lostRows = await lost();
  process.stdout.write(
    `  ${mode.padEnd(8)} after ${IDLE_SECONDS} s idle  RSS ${idle.toFixed(0)} MiB  (${(idle / first).toFixed(2)}x)  rows dropped ${lostRows}\n`,
  );
  // Against the first checkpoint (the target) and, as its own figure, against the second: the first is taken before
  // V8's old generation has grown to its working size.
  results.push(
    `${mode} ${(idle / first).toFixed(2)}x after ${done} sessions (RSS ${first.toFixed(0)} → ${idle.toFixed(0)} MiB` +
      `${warm ? `, ${(idle / warm).toFixed(2)}x of the ${CHECKPOINTS[1]} figure` : ''}), ${lostRows} visit rows dropped`,
  );
  for (const c of children.splice(0)) await stopProcess(c);
}

async function main(): Promise<void> {
  await admin.raw(`CREATE DATABASE ${scratchDb}`);
  created = true;
  process.stdout.write(`bench:dni-memory  new visitors at ≤ ${RATE} req/s, 50 connections, node ${process.version}\n`);
  for (const mode of MODES) await measure(mode);
  process.stdout.write(`memory: ${results.join('; ')} (target ≤ 1.5x of the ${CHECKPOINTS[0]} figure, 0 rows dropped)\n`);
}

async function cleanup(): Promise<void> {
  await Promise.all(children.map((c) => stopProcess(c)));
  if (created) await admin.raw(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`).catch(() => undefined);
  await admin.destroy();
  await deleteRedisKeys(redisUrl, keyPrefix);
  rmSync(dir, { recursive: true, force: true });
}

await runBench(main, cleanup);
