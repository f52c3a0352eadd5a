/**
 * `npm run bench:dni`: the visitor's path, `POST /v1/dni/sessions`, against what the machine allows, in one sitting.
 *
 * Series: a bare node:http server; node:http + one Redis EVALSHA on the same Redis (the ceiling for a Redis lease);
 * the built gateway (`gateway/dist`, as `npm start` runs it) in server mode (DATABASE_URL + REDIS_URL) and in
 * embedded mode (PGlite in a fresh DATA_DIR, no Redis). Workloads, each against its own site and session pool so one
 * cannot exhaust the other's numbers:
 *   new      a new visitor per request (no ids: the gateway makes them, leases a number, records the visit);
 *   page2    page two of one of PAGE2_SESSIONS live sessions (both ids, a different page each time: a renewal and a
 *            page record); every session had its first visit before the rounds;
 *   leave    start + leave: a new visitor, then `POST /v1/dni/sessions/{id}/leave` of that session (two requests;
 *            req/s counts both, as it does for the references, which answer both the same way).
 * Every workload runs interleaved rounds over the four series (a burst of other work on a shared machine hits all
 * alike), 50 connections, a browser user agent. Prints req/s (mean of rounds), p50 (median of rounds), p99 (worst
 * round), non-2xx, the ratios to the EVALSHA ceiling, and what the lease engine answered (from /metrics).
 * Last line: `dni: server <r>x ceiling, embedded <n> req/s p99 <ms> ms` (new visitors).
 *
 * The server-mode gateway gets a scratch database of its own, created on the PostgreSQL DATABASE_URL points at (default
 * postgres://postgres@127.0.0.1:5432/postgres) and dropped afterwards; its Redis keys carry a run prefix and are removed.
 * Env: DATABASE_URL, REDIS_URL (default redis://127.0.0.1:6379); BENCH_SECONDS (per round and series, default 3, after a
 * warm-up of 5,000 requests or 12 s per series),
 * BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 50), BENCH_POOL_SIZE (numbers per pool, default 2000),
 * BENCH_NEW_POOL_SIZE (the new-visitor pool, default 100000, leases of 10 s),
 * BENCH_SERVER_WORKERS (the server-mode gateway's GATEWAY_WORKERS, default 1; its CPU is then its processes' together),
 * BENCH_RATE (requests per second of the measured rounds, default unlimited), BENCH_WORKLOADS (comma list, default new,page2,leave), BENCH_SERIES (comma list, default bare,ceiling,server,embedded;
 * the last line needs ceiling, server and embedded), BENCH_GATEWAY_NODE_ARGS (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to see where the gateways' time goes).
 *
 * Load-independent figures beside the rates: CPU µs per request of each series' server process (all its threads, from
 * /proc), for server mode also of the PostgreSQL backends of its database (the visit write-behind, lease history), each
 * read 400 ms after the round so the last write-behind batch is counted; Redis's own time in commands per request
 * (INFO commandstats; the Redis is shared, so other clients' commands in the same seconds count too); and the visit
 * rows each gateway lost (its `gateway_dni_visit_rows_lost_total`). And the machine's account per series: all of its
 * busy CPU per request (/proc/stat) split into the load generator (this process, autocannon), the server, PostgreSQL's
 * backends, Redis's process (from /proc when it runs here) and the rest (the kernel's network work, other processes),
 * with how many cores were busy during the load: when they all were, two series' rates stand in the inverse ratio of
 * their machine µs per request.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { createClient } from 'redis';
import { combine, drive, fmt } from './lib/autocannon-rounds.js';
import type { AutocannonResult, BenchRequest } from './lib/autocannon-rounds.js';
import { startDniGateway } from './lib/bench-dni-site.js';
import type { BenchSite } from './lib/bench-dni-site.js';
import { ROOT, deleteRedisKeys, runBench, stopProcess } from './lib/gateway-process.js';
import { availableParallelism } from 'node:os';
import { childrenCpuMicros, cpuMicros, machineBusyMicros, pgBackendsCpu, treeCpuMicros } from './lib/proc-cpu.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = 2;
/**
 * Warm-up goes on (2 s at a time, 12 s at most) until this many requests were served: V8 optimises a function after
 * enough calls, not after enough seconds, and on a loaded machine 2 s was a few hundred requests, which left the
 * gateway's larger code base compiling through the rounds (22 % of its CPU time in perf's samples of a server-mode
 * round) while the small reference servers had long finished.
 */
const WARMUP_REQUESTS = 5_000;
const WARMUP_MAX_SECONDS = 12;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/**
 * A fixed rate for the measured rounds (requests per second, all series alike; warm-up stays unlimited). CPU per
 * request depends on the rate (the write-behind's batches, timers and flushers are shared by the requests of their
 * interval), so two builds compared at the rate each reaches on a machine whose load moves are not compared alike.
 */
const RATE = Number(process.env.BENCH_RATE ?? 0);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 2_000);
const PAGE2_SESSIONS = Math.min(1_000, Math.floor(POOL_SIZE / 2));
/**
 * The new-visitor workload's pool: every measured request must really lease, so its numbers come back 10 s after a
 * lease (the shortest active window, no hold; nobody heartbeats) and it has enough of them for NEW_POOL_SIZE / 10 new
 * visitors a second. With the default 5-minute lease, a 2,000-number pool was given out during the warm-up and the
 * measured new visitors got the "blocked" fallback; 25,000 numbers (2,500 a second) were outrun too once the server
 * mode passed 5,000 new visitors a second (4 in 10 blocked in a 12 s round). The lease engine line shows any `blocked`
 * that remains.
 */
const NEW_POOL_SIZE = Number(process.env.BENCH_NEW_POOL_SIZE ?? 100_000);
const NEW_POOL_SETTINGS = { activeWindowSeconds: 10, holdSeconds: 0 };
const WORKLOADS = ['new', 'page2', 'leave'] as const;
type Workload = (typeof WORKLOADS)[number];
const chosen = (process.env.BENCH_WORKLOADS ?? WORKLOADS.join(','))
  .split(',')
  .filter((w): w is Workload => (WORKLOADS as readonly string[]).includes(w));
const ALL_SERIES = ['bare', 'ceiling', 'server', 'embedded'] as const;
type Series = (typeof ALL_SERIES)[number];
const SERIES = (process.env.BENCH_SERIES ?? ALL_SERIES.join(','))
  .split(',')
  .filter((s): s is Series => (ALL_SERIES as readonly string[]).includes(s));
const CORES = availableParallelism();
/** The server-mode gateway's GATEWAY_WORKERS (default 1: one process, as the embedded mode always is). */
const SERVER_WORKERS = Number(process.env.BENCH_SERVER_WORKERS ?? 1);
/** After a round: the gateways' write-behind (200 ms batches) finishes before the CPU is read. */
const SETTLE_MS = 400;

const tag = randomBytes(3).toString('hex');
const scratchDb = `bench_dni_${tag}`;
const scratchUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${scratchDb}`;
  return u.toString();
})();
const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
const keyPrefix = `benchdni${tag}:`;
const LANDING = 'https://www.example.com/landing?utm_source=google&utm_medium=cpc&utm_campaign=bench';
const children: ChildProcess[] = [];
const embeddedDir = mkdtempSync(path.join(tmpdir(), 'bench-dni-'));
let scratchCreated = false;

const rid = (): string => randomBytes(9).toString('base64url');
/**
 * Page two's live sessions per gateway's site: ids as that gateway minted them (it refuses ids it did not mint). Keyed
 * by the site object, since both gateways are loaded with the same site and pool ids.
 */
const liveSessions = new WeakMap<BenchSite, { visitor: string; session: string }[]>();
const sessionIdOf = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { session?: string }).session;
  } catch {
    return undefined;
  }
};

function requestsFor(w: Workload, site: BenchSite): BenchRequest[] {
  const start = (extra: Record<string, string>) =>
    JSON.stringify({ site: site.siteKey, url: LANDING, referrer: 'https://www.google.com/', ...extra });
  if (w === 'new') return [{ path: '/v1/dni/sessions', setupRequest: (req) => ({ ...req, body: start({}) }) }];
  if (w === 'page2')
    return [
      {
        path: '/v1/dni/sessions',
        setupRequest: (req) => {
          const live = liveSessions.get(site) ?? [];
          const one = live[Math.floor(Math.random() * live.length)];
          const body = JSON.stringify({ site: site.siteKey, ...(one ?? {}), url: `https://www.example.com/p/${rid()}` });
          return { ...req, body };
        },
      },
    ];
  return [
    {
      path: '/v1/dni/sessions',
      setupRequest: (req) => ({ ...req, body: start({ visitor: `v${rid()}` }) }),
      // The session to leave is the one the gateway minted for this start.
      onResponse: (_status, body, ctx) => {
        ctx.sid = sessionIdOf(body);
      },
    },
    { setupRequest: (req, ctx) => ({ ...req, path: `/v1/dni/sessions/${ctx.sid as string}/leave`, body: JSON.stringify({ site: site.siteKey }) }) },
  ];
}

async function startReference(bare: boolean): Promise<{ url: string; pid: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-ceiling-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_KEY: `${keyPrefix}{ceiling}:free`, BENCH_BARE: bare ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', (code) => reject(new Error(`reference server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: proc.pid ?? 0 };
}

/** A counter of the gateway's /metrics (summed over its labels), 0 when absent. */
async function metricTotal(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm'))) total += Number(m[1]);
  return total;
}
const LOST = 'gateway_dni_visit_rows_lost_total';
/**
 * The gateway's event-loop delay over a round (prom-client's monitorEventLoopDelay, which it resets on every scrape of
 * /metrics): p99 and max in ms. A request's latency on the gateway is mostly the longest synchronous stretch ahead of it.
 */
async function eventLoopDelay(base: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const ms = (name: string): number =>
    Number(new RegExp(`^gateway_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000;
  return { p99: ms('p99'), max: ms('max') };
}
const redisStats = createClient({ url: redisUrl });
/** Redis's time in commands so far, µs (all commands, all clients). */
async function redisMicros(): Promise<number> {
  const info = await redisStats.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/,usec=(\d+),/g)) total += Number(m[1]);
  return total;
}
/** Redis's own process when it runs on this machine (its CPU read from /proc), else 0 (its share then counts as "rest"). */
async function redisPid(): Promise<number> {
  const pid = Number(/^process_id:(\d+)/m.exec(await redisStats.info('server'))?.[1] ?? 0);
  return cpuMicros(pid) > 0 ? pid : 0;
}

/** Lease engine answers so far, by outcome, for one pool (Prometheus text from the gateway's /metrics). */
async function leaseOutcomes(base: string, poolId: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, number>();
  const re = /^gateway_pool_lease_ops_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm;
  for (const m of text.matchAll(re)) {
    const labels = m[1] ?? '';
    if (!labels.includes(`pool="${poolId}"`)) continue;
    const op = /op="(\w+)"/.exec(labels)?.[1] ?? '?';
    const outcome = /outcome="(\w+)"/.exec(labels)?.[1] ?? '?';
    out.set(`${op}:${outcome}`, (out.get(`${op}:${outcome}`) ?? 0) + Number(m[2]));
  }
  return out;
}

const diff = (after: Map<string, number>, before: Map<string, number>): string =>
  [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/**
 * fetch, again after a connection error: a pooled keep-alive connection the server closed just as it was reused
 * fails the request before it was sent (seen on the loaded machine); anything else after three tries is a failure.
 */
async function fetchRetrying(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 3) throw new Error(`${url}: ${String((err as Error).cause ?? err)}`);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Page two needs live sessions: each one's first visit, 50 at a time. */
async function firstVisits(base: string, site: BenchSite): Promise<void> {
  const live: { visitor: string; session: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let n = next++; n < PAGE2_SESSIONS; n = next++) {
      const visitor = `vbench${String(n).padStart(6, '0')}`;
      const res = await fetchRetrying(`${base}/v1/dni/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 Chrome/131' },
        body: JSON.stringify({ site: site.siteKey, visitor, url: LANDING }),
      });
      if (!res.ok) throw new Error(`first visit answered ${res.status}`);
      const session = sessionIdOf(await res.text());
      if (!session) throw new Error('first visit answered without a session id');
      live.push({ visitor, session });
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  liveSessions.set(site, live);
}

async function main(): Promise<void> {
  await admin.raw(`CREATE DATABASE ${scratchDb}`);
  scratchCreated = true;
  await redisStats.connect();
  const bare = await startReference(true);
  const ceiling = await startReference(false);
  const bases: Record<Series, string> = { bare: bare.url, ceiling: ceiling.url, server: '', embedded: '' };
  const pids: Record<Series, number> = { bare: bare.pid, ceiling: ceiling.pid, server: 0, embedded: 0 };
  const pgCpu = pgBackendsCpu(admin, scratchDb);
  const redisProc = await redisPid();
  const start = (mode: 'server' | 'embedded') =>
    startDniGateway({
      mode,
      dataDir: path.join(embeddedDir, mode),
      pgUrl: scratchUrl,
      redisUrl,
      keyPrefix,
      tag,
      poolSize: POOL_SIZE,
      sites: WORKLOADS,
      pools: { new: { size: NEW_POOL_SIZE, settings: NEW_POOL_SETTINGS } },
      children,
      workers: SERVER_WORKERS,
    });
  // The server-mode gateway's sites are also what the references are driven with, so it always starts.
  const server = await start('server');
  const embedded = SERIES.includes('embedded') ? await start('embedded') : null;
  bases.server = server.url;
  pids.server = server.pid;
  if (embedded) {
    bases.embedded = embedded.url;
    pids.embedded = embedded.pid;
  }
  const sitesOf = (s: Series, w: Workload): BenchSite => (s === 'embedded' && embedded ? embedded.sites[w] : server.sites[w]);
  process.stdout.write(
    `bench:dni  ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s per series, pools of ${POOL_SIZE} numbers (new visitors: ${NEW_POOL_SIZE}, 10 s leases), ` +
      `server mode ${SERVER_WORKERS} process${SERVER_WORKERS > 1 ? 'es' : ''}, node ${process.version}\n`,
  );
  const results = {} as Record<Workload, Record<Series, AutocannonResult>>;
  for (const w of chosen) {
    process.stdout.write(`\n${w}\n`);
    const before = new Map<Series, Map<string, number>>();
    const lostBefore = new Map<Series, number>();
    const gateways = (['server', 'embedded'] as const).filter((s) => SERIES.includes(s));
    for (const s of gateways) {
      if (w === 'page2') await firstVisits(bases[s], sitesOf(s, w));
      before.set(s, await leaseOutcomes(bases[s], sitesOf(s, w).poolId));
      lostBefore.set(s, await metricTotal(bases[s], LOST));
    }
    for (const s of SERIES)
      for (let served = 0, spent = 0; served < WARMUP_REQUESTS && spent < WARMUP_MAX_SECONDS; spent += WARMUP_SECONDS)
        served += (await drive({ url: bases[s], connections: CONNECTIONS, seconds: WARMUP_SECONDS, requests: requestsFor(w, sitesOf(s, w)) }))
          .requests.total;
    const rounds: Record<Series, AutocannonResult[]> = { bare: [], ceiling: [], server: [], embedded: [] };
    // CPU µs summed over the rounds, and the requests they served.
    const zero = () => ({ us: 0, pg: 0, redis: 0, n: 0, gen: 0, redisCpu: 0, machine: 0, busy: 0, wall: 0 });
    const cpu: Record<Series, ReturnType<typeof zero>> = { bare: zero(), ceiling: zero(), server: zero(), embedded: zero() };
    // With GATEWAY_WORKERS, each worker's share of the server's CPU: the kernel hands out the connections, evenly or not.
    const perWorker = new Map<number, number>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of SERIES) {
        if (s === 'server') await pgCpu.start();
        const redis0 = await redisMicros();
        const isGateway = s === 'server' || s === 'embedded';
        if (isGateway) await eventLoopDelay(bases[s]);
        const cpu0 = treeCpuMicros(pids[s]);
        const workers0 = s === 'server' ? childrenCpuMicros(pids[s]) : new Map<number, number>();
        const gen0 = process.cpuUsage();
        const redisCpu0 = cpuMicros(redisProc);
        const machine0 = machineBusyMicros();
        const wall0 = performance.now();
        const res = await drive({
          url: bases[s],
          connections: CONNECTIONS,
          seconds: SECONDS,
          requests: requestsFor(w, sitesOf(s, w)),
          ...(RATE > 0 ? { rate: RATE } : {}),
        });
        const gen = process.cpuUsage(gen0);
        // How busy the machine was while the load ran (the settle below is mostly idle).
        cpu[s].busy += machineBusyMicros() - machine0;
        cpu[s].wall += (performance.now() - wall0) * 1000;
        const loop = isGateway ? await eventLoopDelay(bases[s]) : null;
        await new Promise((done) => setTimeout(done, SETTLE_MS));
        // Read after the settle, as the servers' own figures are: the write-behind of the round's last requests counts.
        cpu[s].machine += machineBusyMicros() - machine0;
        cpu[s].redisCpu += redisProc ? cpuMicros(redisProc) - redisCpu0 : 0;
        cpu[s].gen += gen.user + gen.system;
        const us = treeCpuMicros(pids[s]) - cpu0;
        for (const [pid, end] of s === 'server' ? childrenCpuMicros(pids[s]) : [])
          perWorker.set(pid, (perWorker.get(pid) ?? 0) + end - (workers0.get(pid) ?? end));
        const redis = (await redisMicros()) - redis0;
        const pg = s === 'server' ? await pgCpu.stop() : 0;
        const n = res.requests.total;
        cpu[s].us += us;
        cpu[s].pg += pg;
        cpu[s].redis += redis;
        cpu[s].n += n;
        rounds[s].push(res);
        const per = (x: number): number => Math.round(x / Math.max(1, n));
        const pgText = s === 'server' ? `, postgres ${per(pg)}` : '';
        const loopText = loop ? `, event-loop delay p99 ${loop.p99.toFixed(1)} ms max ${loop.max.toFixed(1)} ms` : '';
        process.stdout.write(`  round ${r + 1} ${s.padEnd(8)} ${fmt(res)}  cpu ${per(us)} µs/req${pgText}, redis ${per(redis)}${loopText}\n`);
      }
    }
    results[w] = {} as Record<Series, AutocannonResult>;
    for (const s of SERIES) results[w][s] = combine(rounds[s]);
    const ceilingRate = results[w].ceiling?.requests.average ?? Number.NaN;
    const ceilingCpu = cpu.ceiling.us / Math.max(1, cpu.ceiling.n);
    for (const s of SERIES) {
      const perReq = cpu[s].us / Math.max(1, cpu[s].n);
      const per = (x: number): number => Math.round(x / Math.max(1, cpu[s].n));
      const pgText = s === 'server' ? `, postgres +${per(cpu.server.pg)}` : '';
      process.stdout.write(
        `  ${w.padEnd(5)} ${s.padEnd(8)} ${fmt(results[w][s])}  ${(results[w][s].requests.average / ceilingRate).toFixed(2)}x ceiling  ` +
          `cpu ${Math.round(perReq)} µs/req (${(perReq / ceilingCpu).toFixed(2)}x ceiling's)${pgText}, redis +${per(cpu[s].redis)}\n`,
      );
    }
    // Where the machine's CPU went per request, and how much of the machine the series used: on a saturated machine
    // the rates of two series stand in the inverse ratio of their machine µs per request, whatever each process spends.
    for (const s of SERIES) {
      const c = cpu[s];
      const per = (x: number): number => Math.round(x / Math.max(1, c.n));
      const redisText = redisProc ? `redis ${per(c.redisCpu)}` : 'redis (not local)';
      const rest = c.machine - c.gen - c.us - c.pg - c.redisCpu;
      process.stdout.write(
        `  ${w.padEnd(5)} ${s.padEnd(8)} machine ${per(c.machine)} µs/req = load generator ${per(c.gen)} + server ${per(c.us)}` +
          `${s === 'server' ? ` + postgres ${per(c.pg)}` : ''} + ${redisText} + rest ${per(rest)}; busy ${(c.busy / Math.max(1, c.wall)).toFixed(2)} of ${CORES} cores\n`,
      );
    }
    const workerUs = [...perWorker.values()];
    const workersTotal = workerUs.reduce((a, b) => a + b, 0);
    if (workerUs.length > 1 && workersTotal > 0)
      process.stdout.write(
        `  ${w.padEnd(5)} server   per worker: ${workerUs.map((us) => `${Math.round((100 * us) / workersTotal)} %`).join(' / ')} of the workers' CPU\n`,
      );
    for (const s of gateways) {
      const lost = (await metricTotal(bases[s], LOST)) - (lostBefore.get(s) ?? 0);
      process.stdout.write(
        `  ${w.padEnd(5)} ${s.padEnd(8)} lease engine: ${diff(await leaseOutcomes(bases[s], sitesOf(s, w).poolId), before.get(s)!)}; visit rows lost ${lost}\n`,
      );
    }
  }
  const newer = results.new;
  if (newer?.ceiling && newer.server && newer.embedded) {
    const ratio = newer.server.requests.average / newer.ceiling.requests.average;
    process.stdout.write(
      `\ntargets: server new ≥ 0.5x ceiling, p99 ≤ 10 ms; page two ≥ 0.7x; embedded new ≥ 1000 req/s, p99 ≤ 50 ms\n` +
        `dni: server ${ratio.toFixed(2)}x ceiling, embedded ${Math.round(newer.embedded.requests.average)} req/s p99 ${newer.embedded.latency.p99} ms\n`,
    );
  }
}

async function cleanup(): Promise<void> {
  // SIGTERM first: the gateways flush what they write behind (and write their CPU profiles when asked to).
  await Promise.all(children.map((c) => stopProcess(c)));
  if (scratchCreated) await admin.raw(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`).catch(() => undefined);
  await admin.destroy();
  if (redisStats.isOpen) await redisStats.close();
  await deleteRedisKeys(redisUrl, keyPrefix);
  rmSync(embeddedDir, { recursive: true, force: true });
}

await runBench(main, cleanup);
