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
 * Env: DATABASE_URL, REDIS_URL (default redis://127.0.0.1:6379); BENCH_SECONDS (per round and series, default 3, after 2 s of warm-up),
 * BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 50), BENCH_POOL_SIZE (numbers per pool, default 2000),
 * BENCH_WORKLOADS (comma list, default new,page2,leave), BENCH_GATEWAY_NODE_ARGS (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to see where the gateways' time goes).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { combine, drive, fmt } from './lib/autocannon-rounds.js';
import type { AutocannonResult, BenchRequest } from './lib/autocannon-rounds.js';
import { startDniGateway } from './lib/bench-dni-site.js';
import type { BenchSite } from './lib/bench-dni-site.js';
import { ROOT, deleteRedisKeys, runBench, stopProcess } from './lib/gateway-process.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = 2;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 2_000);
const PAGE2_SESSIONS = Math.min(1_000, Math.floor(POOL_SIZE / 2));
const WORKLOADS = ['new', 'page2', 'leave'] as const;
type Workload = (typeof WORKLOADS)[number];
const chosen = (process.env.BENCH_WORKLOADS ?? WORKLOADS.join(','))
  .split(',')
  .filter((w): w is Workload => (WORKLOADS as readonly string[]).includes(w));
const SERIES = ['bare', 'ceiling', 'server', 'embedded'] as const;
type Series = (typeof SERIES)[number];

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

async function startReference(bare: boolean): Promise<string> {
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
  return `http://127.0.0.1:${port}`;
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
  const bases: Record<Series, string> = {
    bare: await startReference(true),
    ceiling: await startReference(false),
    server: '',
    embedded: '',
  };
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
      children,
    });
  const server = await start('server');
  const embedded = await start('embedded');
  bases.server = server.url;
  bases.embedded = embedded.url;
  const sitesOf = (s: Series, w: Workload): BenchSite => (s === 'embedded' ? embedded.sites[w] : server.sites[w]);
  process.stdout.write(
    `bench:dni  ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s per series, pools of ${POOL_SIZE} numbers, node ${process.version}\n`,
  );
  const results = {} as Record<Workload, Record<Series, AutocannonResult>>;
  for (const w of chosen) {
    process.stdout.write(`\n${w}\n`);
    const before = new Map<Series, Map<string, number>>();
    for (const s of ['server', 'embedded'] as const) {
      if (w === 'page2') await firstVisits(bases[s], sitesOf(s, w));
      before.set(s, await leaseOutcomes(bases[s], sitesOf(s, w).poolId));
    }
    for (const s of SERIES)
      await drive({ url: bases[s], connections: CONNECTIONS, seconds: WARMUP_SECONDS, requests: requestsFor(w, sitesOf(s, w)) });
    const rounds: Record<Series, AutocannonResult[]> = { bare: [], ceiling: [], server: [], embedded: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of SERIES) {
        const res = await drive({ url: bases[s], connections: CONNECTIONS, seconds: SECONDS, requests: requestsFor(w, sitesOf(s, w)) });
        rounds[s].push(res);
        process.stdout.write(`  round ${r + 1} ${s.padEnd(8)} ${fmt(res)}\n`);
      }
    }
    results[w] = {} as Record<Series, AutocannonResult>;
    for (const s of SERIES) results[w][s] = combine(rounds[s]);
    const ceiling = results[w].ceiling.requests.average;
    for (const s of SERIES)
      process.stdout.write(
        `  ${w.padEnd(5)} ${s.padEnd(8)} ${fmt(results[w][s])}  ${(results[w][s].requests.average / ceiling).toFixed(2)}x ceiling\n`,
      );
    for (const s of ['server', 'embedded'] as const)
      process.stdout.write(
        `  ${w.padEnd(5)} ${s.padEnd(8)} lease engine: ${diff(await leaseOutcomes(bases[s], sitesOf(s, w).poolId), before.get(s)!)}\n`,
      );
  }
  const newer = results.new;
  if (newer) {
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
  await deleteRedisKeys(redisUrl, keyPrefix);
  rmSync(embeddedDir, { recursive: true, force: true });
}

await runBench(main, cleanup);
