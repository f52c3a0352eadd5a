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
 * Two baselines. The raw 10,000 figure is taken before V8 has grown its old generation to its working size, so
 * the ratio against it says as much about the heap's growth policy as about what the gateway keeps. Before the
 * distinct sessions, a warm-up of BENCH_WARMUP requests (default 100,000) is page two of 100 sessions, new pages of
 * the same visitors: the answer path runs as under load and V8 sizes its heap, but no new visitor or session is
 * left behind. The warmed 10,000 figure is RSS after the warm-up and the first 10,000 distinct sessions; both ratios
 * are printed. BENCH_MAX_SECONDS (default 1,200) bounds each mode's distinct-session run: when it is up the run stops
 * at the next answer and prints how far it got.
 *
 * Env: DATABASE_URL (a PostgreSQL server to create the scratch database on; default
 * postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL (default redis://127.0.0.1:6379), BENCH_MODES (default
 * server,embedded), BENCH_SESSIONS (default 1000000), BENCH_RATE (default 3000; 0 = unpaced), BENCH_IDLE_SECONDS (default 10), BENCH_WARMUP, BENCH_MAX_SECONDS, BENCH_PIPELINE (requests in flight per
 * connection, default 4). Last line: one
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
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100_000);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 1_200);
const PIPELINE = Number(process.env.BENCH_PIPELINE ?? 4);
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
  const headers = { 'content-type': 'text/plain', 'user-agent': BROWSER_UA };
  const started = Date.now();
  const raw = rssMiB(gw.pid);
  // The warm-up's sessions: 100 first visits, then page two of them over and over.
  const live: string[] = [];
  for (let i = 0; i < Math.min(100, WARMUP); i++) {
    const res = await fetch(`${gw.url}/v1/dni/sessions`, { method: 'POST', headers, body: body() });
    const s = (await res.json()) as { visitor?: string; session?: string };
    if (s.visitor && s.session) live.push(JSON.stringify({ visitor: s.visitor, session: s.session }).slice(1, -1));
  }
  if (WARMUP > 0 && live.length) {
    let n = 0;
    const w = await leanLoad({
      url: `${gw.url}/v1/dni/sessions`,
      amount: WARMUP,
      connections: 50,
      rate: RATE,
      pipeline: PIPELINE,
      headers,
      body: () => `{"site":"${gw.sites.mem.siteKey}",${live[n % live.length]},"url":"https://www.example.com/p/${(n++).toString(36)}"}`,
    });
    process.stdout.write(
      `  ${mode.padEnd(8)} RSS ${raw.toFixed(0)} MiB at start, ${rssMiB(gw.pid).toFixed(0)} MiB after a warm-up of ${w.total} page-two requests ` +
        `of ${live.length} sessions (${Math.round(w.total / w.seconds)} req/s, non-2xx ${w.non2xx})\n`,
    );
  }
  const deadline = Date.now() + MAX_SECONDS * 1000;
  let done = live.length;
  let first = 0;
  let warm = 0;
  let lostRows = 0;
  for (const target of CHECKPOINTS) {
    const r = await leanLoad({
      url: `${gw.url}/v1/dni/sessions`,
      amount: target - done,
      connections: 50,
      rate: RATE,
      pipeline: PIPELINE,
      headers,
      body,
      deadline,
    });
    done += r.total;
    const rss = rssMiB(gw.pid);
    if (!first) first = rss;
    else if (!warm) warm = rss;
    lostRows = await lost();
    process.stdout.write(
      `  ${mode.padEnd(8)} ${String(done).padStart(9)} sessions  RSS ${rss.toFixed(0).padStart(5)} MiB  (${(rss / first).toFixed(2)}x)  ` +
        `${Math.round(r.total / r.seconds)} req/s  non-2xx ${r.non2xx} errors ${r.errors}  rows dropped ${lostRows}  ` +
        `${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    if (done < target) {
      process.stdout.write(`  ${mode.padEnd(8)} stopped at ${done} sessions: BENCH_MAX_SECONDS=${MAX_SECONDS} was up\n`);
      break;
    }
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
    `${mode} ${(idle / first).toFixed(2)}x after ${done} sessions${WARMUP > 0 ? ' (10,000 figure after the warm-up)' : ''} (RSS ${first.toFixed(0)} → ${idle.toFixed(0)} MiB` +
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
