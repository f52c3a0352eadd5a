/**
 * `npm run bench:voice [-- --calls 200 --seconds 60 --stress-seconds 20]`: the voice webhook's answer time with that
 * many calls in progress at once, each one the full signed sequence Twilio sends.
 *
 * 1. Starts the built gateway (`gateway/dist`, as `npm start` runs it; the npm script builds first) in server mode:
 *    with DATABASE_URL, on a fresh database it creates on that server (and drops afterwards); without, on the
 *    embedded database in a temporary directory. REDIS_URL is used when set.
 * 2. Sets up a site through the admin API: a session pool of 50 Twilio numbers, every one held by a live widget
 *    session, so each call goes through the full attribution (live lease, candidates, evidence).
 * 3. Calls: `--calls` callers, each placing one call after another: the voice webhook (timed; the TwiML must dial),
 *    the ring, the agent leg's progress, the talk, the Dial's outcome, the final status and the recording, every
 *    callback timed as well. Two runs: `steady`, calls of about 25 s (real ones last minutes, so this is several times
 *    the arrival rate of 200 busy lines), then `stress`, calls of about 4 s. Only voice answers given while at least
 *    90 % of the calls were up count (the first call's length is the ramp).
 * 4. A burst: `--calls` voice webhooks sent at the same instant (the worst case for the answer queue), `--rounds`
 *    times on fresh connections (connect inside the timed window) and `--rounds` times on warm ones (connected
 *    before the round): Twilio does not document whether its edge reuses connections to the webhook host. Each
 *    burst is followed by the same burst against a bare node:http server answering a static TwiML
 *    (`scripts/bench-twiml-server.ts`, its own process), so both see the same machine: req/s, p50 and p99 of each,
 *    their ratio, and the CPU time each server spent per answer (load-independent). Both bursts come from the same
 *    lean generator (`scripts/lib/burst-load.ts`): requests signed and formatted before the round, one socket each,
 *    all sent in one tick, timed to the response's last byte.
 * 5. Once the writes behind the answers have drained (before each round as well, applies included): every call placed
 *    must be stored exactly once.
 * 6. The call writer on its own (`scripts/lib/call-writer-rate.ts`): `--writer-events` ringing events journaled and
 *    written in batches to a fresh database, on PostgreSQL (with DATABASE_URL) and on PGlite: sustained calls/s.
 *
 * The load generator runs in this process and the gateway in its own, as Twilio and the gateway would. The last line
 * reads `voice: p99 <N> ms with <C> calls in progress (<R> new calls/s); stress ...; burst ...; writer ...`.
 * `--seconds 0` / `--stress-seconds 0` skip those runs. Figures depend on the machine: the load average is printed.
 * Env: DATABASE_URL, REDIS_URL (optional); BENCH_GATEWAY_NODE_ARGS (extra node flags for the gateway, e.g. --cpu-prof).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { answeredCallCallbacks, inboundParams, randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { signTwilioRequest } from '../gateway/src/adapters/telephony/twilio/twilio-signature.js';
import { burst as sendBurst, formRequest } from './lib/burst-load.js';
import type { BurstConnect, BurstResponse } from './lib/burst-load.js';
import { measureWriterRate } from './lib/call-writer-rate.js';
import type { WriterRate } from './lib/call-writer-rate.js';
import { treeCpuMicros } from './lib/proc-cpu.js';
import { deleteRedisKeys, freePort, ROOT, runBench, startGateway, stopProcess } from './lib/gateway-process.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    'stress-seconds': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    'writer-events': { type: 'string', default: '20000' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Math.max(1, Number(values.rounds));

interface Scenario {
  readonly name: string;
  readonly ringMs: readonly [number, number];
  readonly talkS: readonly [number, number];
  readonly seconds: number;
}
const SCENARIOS: readonly [Scenario, Scenario] = [
  // Calls of about 25 s: still several times shorter than real ones (minutes), so several times the arrival rate.
  { name: 'steady', ringMs: [2_000, 8_000], talkS: [10, 30], seconds: Number(values.seconds) },
  // Calls of about 4 s: some 50 new calls a second with the same 200 lines busy.
  { name: 'stress', ringMs: [300, 1_500], talkS: [1, 4], seconds: Number(values['stress-seconds']) },
];
const NUMBERS = 50;
const PUBLIC = 'https://calls.example.com';
const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const API_KEY = `ctk_${randomBytes(24).toString('base64url')}`;
const tag = randomBytes(3).toString('hex');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

// Keep-alive connections, as many as there are callers: no request waits for a socket.
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, timeout: 4_000 });
let port = 0;

function send(method: string, url: string, headers: Record<string, string>, body?: string, toPort = port): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://127.0.0.1:${toPort}${url}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const r = await send(
    method,
    url,
    { authorization: `Bearer ${API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body ? JSON.stringify(body) : undefined,
  );
  if (r.status >= 300) throw new Error(`${method} ${url} -> ${r.status} ${r.text.slice(0, 300)}`);
  return (r.text ? JSON.parse(r.text) : null) as T;
}

/** One signed Twilio webhook; returns its status, body and answer time in ms. */
async function webhook(hook: string, params: Record<string, string>, toPort = port): Promise<{ status: number; text: string; ms: number }> {
  const suffix = `/v1/telephony/twilio/${hook}`;
  const signature = signTwilioRequest(AUTH_TOKEN, `${PUBLIC}${suffix}`, params);
  const body = new URLSearchParams(params).toString();
  const t0 = performance.now();
  const r = await send('POST', suffix, { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body, toPort);
  return { ...r, ms: performance.now() - t0 };
}

type Pct = { n: number; p50: number; p90: number; p99: number; max: number };
function percentiles(xs: number[]): Pct {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? 0 };
}
const fmt = (p: Pct) => `n ${p.n}  p50 ${p.p50.toFixed(1)}  p90 ${p.p90.toFixed(1)}  p99 ${p.p99.toFixed(1)}  max ${p.max.toFixed(1)} ms`;

/**
 * Call events still to be written or applied: the writer's queue and the inbox rows not yet applied to calls. A
 * burst starts only once both are empty, so it is not measured against the previous round's applies (attribution,
 * leads: several ms of CPU per call, far more than the answer).
 */
async function pendingWrites(): Promise<number> {
  const r = await send('GET', '/metrics', {});
  const queued = /^gateway_call_event_writes_pending (\d+)/m.exec(r.text);
  const inbox = /^gateway_call_event_inbox_rows (-?\d+)/m.exec(r.text);
  if (!queued) return Number.NaN;
  return Number(queued[1]) + Math.abs(Number(inbox?.[1] ?? 0));
}

let gateway: ChildProcess | null = null;
let reference: ChildProcess | null = null;

/** The bare node:http server answering a static TwiML, in its own process; resolves with its port. */
async function startReference(): Promise<number> {
  reference = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-twiml-server.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const proc = reference;
  return new Promise<number>((resolve, reject) => {
    proc.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', (code) => reject(new Error(`reference server exited with ${code}`)));
  });
}
/** CPU time a process and its children (GATEWAY_WORKERS' workers) have used so far (user + system, ms), from /proc. */
function cpuMs(pid: number | undefined): number {
  return pid === undefined ? Number.NaN : treeCpuMicros(pid) / 1_000;
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
let admin: ReturnType<typeof knexFactory> | null = null;
let dbName: string | null = null;

async function main(): Promise<void> {
  let databaseUrl: string | undefined;
  if (process.env.DATABASE_URL) {
    admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 1 } });
    dbName = `bench_voice_${tag}`;
    await admin.raw(`create database ${dbName}`);
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${dbName}`;
    databaseUrl = u.href;
  }
  port = await freePort();
  gateway = await startGateway({
    port,
    // On a loaded shared machine loading the modules alone can take a minute.
    readyWithinMs: 180_000,
    env: {
      ...process.env,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bench-voice-')),
      PUBLIC_BASE_URL: PUBLIC,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      BOOTSTRAP_API_KEY: API_KEY,
      REDIS_KEY_PREFIX: `benchvoice${tag}:`,
      LOG_LEVEL: 'warn',
      DEMO_SEED: 'false',
      DNI_SESSIONS_PER_MINUTE: '0',
      DNI_MAX_NUMBERS_PER_ADDRESS: '0',
    },
  });
  const mode = `${databaseUrl ? 'PostgreSQL' : 'embedded database'}${process.env.REDIS_URL ? ' + Redis' : ''}`;

  // The site: one session pool of Twilio numbers, each held by a live visitor.
  const site = await api<{ id: string; publicKey: string }>('POST', '/v1/sites', {
    name: 'Bench',
    domains: ['bench.example'],
    canonicalNumbers: ['+15550000000'],
    defaultForwardTo: '+15550000001',
  });
  const pool = await api<{ id: string }>('POST', '/v1/pools', { siteId: site.id, name: 'Bench', kind: 'session', canonicalNumber: '+15550000000' });
  for (let i = 0; i < NUMBERS; i++) {
    await api('POST', '/v1/tracking-numbers', {
      e164: `+1555100${String(i).padStart(4, '0')}`,
      provider: 'twilio',
      poolId: pool.id,
      siteId: site.id,
      forwardTo: '+15550000002',
    });
  }
  const held: string[] = [];
  for (let i = 0; i < NUMBERS; i++) {
    const r = await send(
      'POST',
      '/v1/dni/sessions',
      {
        'content-type': 'text/plain',
        origin: 'https://bench.example',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36',
      },
      JSON.stringify({
        site: site.publicKey,
        url: `https://bench.example/?utm_source=google&utm_medium=cpc&v=${i}`,
        referrer: 'https://www.google.com/',
      }),
    );
    const to = (JSON.parse(r.text) as { swaps: { to: string }[] }).swaps[0]?.to;
    if (r.status !== 200 || !to || to === '+15550000000') throw new Error(`widget session ${i}: ${r.status} ${r.text.slice(0, 200)}`);
    held.push(to);
  }

  const placed = new Set<string>();
  const failures: string[] = [];
  let nextCaller = 0;
  /** Calls between their voice webhook and their last callback. */
  let inProgress = 0;
  type Samples = { voice: { ms: number; inProgress: number; at: number }[]; callbacks: number[]; dialed: number };
  const placeCall = async (to: string, sc: Scenario | null, out: Samples): Promise<void> => {
    const callSid = randomSid('CA');
    const from = `+1555777${String(nextCaller++ % 10_000).padStart(4, '0')}`;
    const v = await webhook('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to }));
    out.voice.push({ ms: v.ms, inProgress, at: Date.now() });
    if (v.status !== 200 || !v.text.includes('<Dial')) {
      failures.push(`voice ${v.status} ${v.text.slice(0, 120)}`);
      return;
    }
    out.dialed++;
    placed.add(callSid);
    if (!sc) return;
    inProgress++;
    try {
      const forwardTo = /<Number[^>]*>([^<]+)<\/Number>/.exec(v.text)?.[1] ?? to;
      const talkSeconds = Math.round(between(sc.talkS[0], sc.talkS[1]));
      const script = answeredCallCallbacks({ accountSid: ACCOUNT_SID, callSid, from, to, forwardTo, talkSeconds });
      // Before: agent leg initiated (after the ring), ringing, answered, completed (after the talk), the Dial's
      // outcome, the final status, the recording.
      const pauses = [between(sc.ringMs[0], sc.ringMs[1]), 100, 300, talkSeconds * 1_000, 50, 50, 200];
      for (const [i, step] of script.entries()) {
        await sleep(pauses[i] ?? 50);
        const r = await webhook(step.path, step.params);
        out.callbacks.push(r.ms);
        if (r.status !== 200) failures.push(`${step.path} ${r.status} ${r.text.slice(0, 120)}`);
      }
    } finally {
      inProgress--;
    }
  };

  // 3. Calls in progress: each caller starts at a random point of a call's length, then calls again and again.
  const runCalls = async (sc: Scenario): Promise<{ voice: Pct; callbacks: Pct; rate: number }> => {
    const out: Samples = { voice: [], callbacks: [], dialed: 0 };
    const meanCallMs = (sc.ringMs[0] + sc.ringMs[1]) / 2 + ((sc.talkS[0] + sc.talkS[1]) / 2) * 1_000 + 700;
    const started = Date.now();
    const end = started + sc.seconds * 1_000;
    await Promise.all(
      Array.from({ length: CALLS }, async (_, c) => {
        await sleep(Math.random() * meanCallMs);
        for (let k = c; Date.now() < end; k += CALLS) await placeCall(held[k % held.length]!, sc, out);
      }),
    );
    // Only answers given while (nearly) all the calls were up count: the first call's length is the ramp.
    const full = out.voice.filter((v) => v.inProgress >= CALLS * 0.9);
    const window = full.length > 1 ? (full[full.length - 1]!.at - full[0]!.at) / 1_000 : (Date.now() - started) / 1_000;
    return { voice: percentiles(full.map((v) => v.ms)), callbacks: percentiles(out.callbacks), rate: full.length / window };
  };
  const report = (sc: Scenario, r: Awaited<ReturnType<typeof runCalls>>) =>
    process.stdout.write(
      `${sc.name} (${mode}): ${CALLS} calls in progress (ring ${sc.ringMs[0] / 1000}-${sc.ringMs[1] / 1000} s, talk ${sc.talkS[0]}-${sc.talkS[1]} s), ` +
        `${sc.seconds} s, ${r.rate.toFixed(1)} new calls/s\n  voice webhook   ${fmt(r.voice)}\n  callbacks       ${fmt(r.callbacks)}\n`,
    );
  const none = { voice: percentiles([]), callbacks: percentiles([]), rate: 0 };
  const [steadySc, stressSc] = SCENARIOS;
  const steady = steadySc.seconds > 0 ? await runCalls(steadySc) : none;
  if (steadySc.seconds > 0) report(steadySc, steady);
  const stress = stressSc.seconds > 0 ? await runCalls(stressSc) : none;
  if (stressSc.seconds > 0) report(stressSc, stress);

  // 4. The burst: that many calls ring at the same instant, once the writes behind the calls above have landed; then
  // the same burst against the bare server, round after round, so both see the same machine.
  const bareAt = await startReference();
  // Twilio's documentation (and the reference notes) say nothing of whether its edge keeps connections to the
  // webhook host open between requests, only that each request may connect (the `ct` connect timeout): so both are
  // measured, `fresh` (connect, accept and handshake inside the timed window) and `warm` (connected beforehand).
  type Series = {
    gateway: number[];
    bare: number[];
    gatewayWall: number;
    bareWall: number;
    cpu: { answers: number; bare: number };
    rounds: string[];
  };
  const series = (): Series => ({ gateway: [], bare: [], gatewayWall: 0, bareWall: 0, cpu: { answers: 0, bare: 0 }, rounds: [] });
  const modes: Record<BurstConnect, Series> = { fresh: series(), warm: series() };
  let writesCpu = 0;
  // Signed and formatted before the round: the generator's cost stays outside the measured window.
  const voiceRequests = (n: number, to: (i: number) => string): { sids: string[]; bytes: Buffer[] } => {
    const sids: string[] = [];
    const bytes: Buffer[] = [];
    const suffix = '/v1/telephony/twilio/voice';
    for (let i = 0; i < n; i++) {
      const callSid = randomSid('CA');
      const params = inboundParams({
        accountSid: ACCOUNT_SID,
        callSid,
        from: `+1555777${String(nextCaller++ % 10_000).padStart(4, '0')}`,
        to: to(i),
      });
      const signature = signTwilioRequest(AUTH_TOKEN, `${PUBLIC}${suffix}`, params);
      sids.push(callSid);
      bytes.push(formRequest('127.0.0.1', suffix, { 'X-Twilio-Signature': signature }, new URLSearchParams(params).toString()));
    }
    return { sids, bytes };
  };
  const dialled = (r: BurstResponse) => r.status === 200 && r.body.includes('<Dial');
  const drain = async (): Promise<void> => {
    const cpu0 = cpuMs(gateway?.pid);
    for (const until = Date.now() + 60_000; (await pendingWrites()) > 0 && Date.now() < until; ) await sleep(100);
    writesCpu += cpuMs(gateway?.pid) - cpu0;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['fresh', 'warm'] as const) {
      const m = modes[mode];
      await drain();
      const calls = voiceRequests(CALLS, (i) => held[i % held.length]!);
      const cpu1 = cpuMs(gateway?.pid);
      let t0 = performance.now();
      const answers = await sendBurst(port, calls.bytes, mode);
      m.gatewayWall += performance.now() - t0;
      m.cpu.answers += cpuMs(gateway?.pid) - cpu1;
      answers.forEach((r, i) => {
        m.gateway.push(r.ms);
        if (dialled(r)) placed.add(calls.sids[i]!);
        else failures.push(`voice ${r.status} ${r.body.slice(0, 120)}`);
      });
      const roundP99 = percentiles(answers.map((r) => r.ms)).p99;
      // The same burst, formatted the same way, against the bare server.
      const bareCalls = voiceRequests(CALLS, () => held[0]!);
      const bareCpu0 = cpuMs(reference?.pid);
      t0 = performance.now();
      const bare = await sendBurst(bareAt, bareCalls.bytes, mode);
      m.bareWall += performance.now() - t0;
      m.cpu.bare += cpuMs(reference?.pid) - bareCpu0;
      for (const b of bare) {
        if (!dialled(b)) failures.push(`bare ${b.status}`);
        m.bare.push(b.ms);
      }
      m.rounds.push(`${roundP99.toFixed(0)}/${percentiles(bare.map((b) => b.ms)).p99.toFixed(0)}`);
    }
  }
  await drain();
  const perCall = (ms: number) => (ms / (CALLS * ROUNDS)).toFixed(3);
  const summary = (mode: BurstConnect) => {
    const m = modes[mode];
    const gw = percentiles(m.gateway);
    const bareP = percentiles(m.bare);
    const gwRate = (CALLS * ROUNDS) / (m.gatewayWall / 1_000);
    const bareRate = (CALLS * ROUNDS) / (m.bareWall / 1_000);
    process.stdout.write(
      `  ${mode === 'fresh' ? 'fresh connections (connect inside the timed window)' : 'warm connections (connected before the round)'}\n` +
        `    gateway         ${gwRate.toFixed(0)} req/s  ${fmt(gw)}\n` +
        `    bare node:http  ${bareRate.toFixed(0)} req/s  ${fmt(bareP)}\n` +
        `    ratio           p99 ${(gw.p99 / bareP.p99).toFixed(2)}x bare, p50 ${(gw.p50 / bareP.p50).toFixed(2)}x, throughput ${(gwRate / bareRate).toFixed(2)} of bare\n` +
        `    p99 per round (gateway/bare ms): ${m.rounds.join(' ')}\n` +
        `    CPU per call during the bursts: gateway ${perCall(m.cpu.answers)} ms, bare node:http ${perCall(m.cpu.bare)} ms (${(m.cpu.answers / m.cpu.bare).toFixed(2)}x)\n`,
    );
    return { gw, bareP };
  };
  process.stdout.write(`burst: ${CALLS} voice webhooks at the same instant, ${ROUNDS} rounds of each kind (load average ${load()})\n`);
  const fresh = summary('fresh');
  const warm = summary('warm');
  process.stdout.write(`  CPU per call for the writes after the bursts: gateway ${(writesCpu / (2 * CALLS * ROUNDS)).toFixed(3)} ms\n`);
  const burst = fresh.gw;
  const bareP = fresh.bareP;

  // 5. Every call placed is stored once.
  const drainStarted = Date.now();
  let pending = await pendingWrites();
  while (pending > 0 && Date.now() - drainStarted < 120_000) {
    await sleep(200);
    pending = await pendingWrites();
  }
  const stored = new Map<string, { status: string }>();
  let duplicates = 0;
  let cursor: string | null = null;
  do {
    const page: { items: { providerCallId: string; status: string }[]; nextCursor: string | null } = await api(
      'GET',
      `/v1/calls?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const c of page.items) {
      if (stored.has(c.providerCallId)) duplicates++;
      stored.set(c.providerCallId, c);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const missing = [...placed].filter((sid) => !stored.has(sid)).length;
  const ended = [...stored.values()].filter((c) => c.status === 'ended').length;
  process.stdout.write(
    `stored: ${stored.size} calls for ${placed.size} placed (missing ${missing}, duplicates ${duplicates}, ended ${ended}); ` +
      `writes drained ${((Date.now() - drainStarted) / 1_000).toFixed(1)} s after the load; failed requests ${failures.length}` +
      `${failures.length ? ` (first: ${failures[0]})` : ''}\n`,
  );
  // 6. The writer on its own, once the gateway is idle: PostgreSQL (a fresh database on that server) and PGlite.
  const writerEvents = Number(values['writer-events']);
  const rates: { name: string; r: WriterRate }[] = [];
  if (process.env.DATABASE_URL)
    rates.push({ name: 'PostgreSQL', r: await measureWriterRate({ adminUrl: process.env.DATABASE_URL, events: writerEvents }) });
  rates.push({ name: 'PGlite', r: await measureWriterRate({ events: writerEvents }) });
  for (const { name, r } of rates)
    process.stdout.write(
      `writer (${name}): ${r.events} ringing events journaled and written in ${r.statements} INSERTs, ${r.seconds.toFixed(2)} s: ` +
        `${r.perSecond.toFixed(0)} calls/s; every event stored exactly once: ${r.storedOnce ? 'yes' : 'NO'} (load average ${load()})\n`,
    );
  const writerFigures = rates.map(({ name, r }) => `${name} ${r.perSecond.toFixed(0)} calls/s`).join(', ');
  process.stdout.write(
    `voice: p99 ${steady.voice.p99.toFixed(1)} ms with ${CALLS} calls in progress (${steady.rate.toFixed(1)} new calls/s); ` +
      `stress ${stress.rate.toFixed(1)} new calls/s p99 ${stress.voice.p99.toFixed(1)} ms; burst of ${CALLS} on fresh connections p99 ${burst.p99.toFixed(1)} ms ` +
      `(bare node:http ${bareP.p99.toFixed(1)} ms, ${(burst.p99 / bareP.p99).toFixed(2)}x; warm connections ${warm.gw.p99.toFixed(1)} ms, bare ${warm.bareP.p99.toFixed(1)} ms); ` +
      `callbacks p99 ${Math.max(steady.callbacks.p99, stress.callbacks.p99).toFixed(1)} ms; stored ${stored.size}/${placed.size} exactly once: ` +
      `${missing || duplicates ? 'NO' : 'yes'}; writer ${writerFigures}\n`,
  );
  if (rates.some(({ r }) => !r.storedOnce)) process.exitCode = 1;
  if (missing || duplicates || failures.length) process.exitCode = 1;
}

async function cleanup(): Promise<void> {
  agent.destroy();
  if (reference) await stopProcess(reference);
  if (gateway) await stopProcess(gateway);
  if (process.env.REDIS_URL) await deleteRedisKeys(process.env.REDIS_URL, `benchvoice${tag}:`);
  if (admin && dbName) {
    await admin.raw(`drop database if exists ${dbName}`).catch((err: unknown) => process.stderr.write(`could not drop ${dbName}: ${String(err)}\n`));
    await admin.destroy();
  }
}

await runBench(main, cleanup);
