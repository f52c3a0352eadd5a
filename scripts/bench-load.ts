/**
 * `npm run bench:load`: a bounded mixed load on loopback against the built gateway (`gateway/dist`, as `npm start`
 * runs it) in server mode: PostgreSQL (a scratch database of its own, created on the server DATABASE_URL points at
 * and dropped afterwards) and Redis (keys under a run prefix, removed afterwards). Every route runs at once, each
 * with a fixed number of connections, for BENCH_SECONDS:
 *   dni-new      POST /v1/dni/sessions, a new visitor each time (a lease from a session pool of BENCH_POOL_SIZE);
 *   heartbeat    POST /v1/dni/sessions/{id}/heartbeat of sessions started before the load;
 *   voice        POST /v1/telephony/twilio/voice, signed, a new CallSid each time (TwiML must dial);
 *   status       POST /v1/telephony/twilio/status, signed, the final status of a call the voice route placed;
 *   report       GET /v1/reports/summary, 30 days by channel, owner key;
 *   playback     GET /v1/calls/{id}/recording with a Range header (a 60 s stereo WAV in local storage).
 * Prints per route req/s, p50 and p99 (autocannon), non-2xx and errors; the total; the gateway's peak RSS (VmHWM);
 * the load average; then checks that every voice call answered is stored exactly once. Exits non-zero on any error,
 * non-2xx answer or missing call. Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (default 10), BENCH_POOL_SIZE (default 1000),
 * BENCH_GATEWAY_NODE_ARGS.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { recordingKey } from '../gateway/src/adapters/storage/recording-storage.js';
import { LocalRecordingStorage } from '../gateway/src/adapters/storage/local-recording-storage.js';
import { answeredCallCallbacks, inboundParams, randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { signTwilioRequest } from '../gateway/src/adapters/telephony/twilio/twilio-signature.js';
import { makeWav } from '../gateway/src/features/recordings/audio-info.js';
import { newId } from '../gateway/src/shared/ids.js';
import { BROWSER_UA, drive } from './lib/autocannon-rounds.js';
import type { AutocannonResult, BenchRequest } from './lib/autocannon-rounds.js';
import { startDniGateway } from './lib/bench-dni-site.js';
import { deleteRedisKeys, runBench, stopProcess } from './lib/gateway-process.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 1_000);
const HEARTBEAT_SESSIONS = 200;
const TWILIO_NUMBERS = 20;
const PUBLIC = 'https://calls.example.com';
const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const API_KEY = `ctk_${randomBytes(24).toString('base64url')}`;

const tag = randomBytes(3).toString('hex');
const scratchDb = `bench_load_${tag}`;
const scratchUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${scratchDb}`;
  return u.toString();
})();
const keyPrefix = `benchload${tag}:`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-load-'));
const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
const children: ChildProcess[] = [];
let scratchCreated = false;

/** Peak resident set size of a process so far (VmHWM, Linux), in MB. */
function peakRssMb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function main(): Promise<void> {
  await admin.raw(`CREATE DATABASE ${scratchDb}`);
  scratchCreated = true;
  // The Twilio login and the owner's key, for the signed webhooks and the API (read by the gateway from its env).
  Object.assign(process.env, { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_BASE_URL: PUBLIC, BOOTSTRAP_API_KEY: API_KEY });
  const gw = await startDniGateway({
    mode: 'server',
    dataDir,
    pgUrl: scratchUrl,
    redisUrl,
    keyPrefix,
    tag,
    poolSize: POOL_SIZE,
    sites: ['load'],
    children,
  });
  const base = gw.url;
  const site = gw.sites.load;
  const api = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res.status === 204 ? null : res.json();
  };

  // Twilio numbers for the voice route, forwarded to one agent.
  const twilioNumbers: string[] = [];
  for (let i = 0; i < TWILIO_NUMBERS; i++) {
    const e164 = `+1555200${String(i).padStart(4, '0')}`;
    await api('POST', '/v1/tracking-numbers', { e164, provider: 'twilio', siteId: site.siteId, forwardTo: '+15550000002' });
    twilioNumbers.push(e164);
  }

  // One recording to play: a call with a stored WAV in the gateway's local recording storage.
  const pg = knexFactory({ client: 'pg', connection: scratchUrl, pool: { min: 0, max: 1 } });
  const { id: accountId } = (await pg('sites').where({ id: site.siteId }).first('account_id as id')) as { id: string };
  const callId = newId();
  const recordingId = newId();
  const key = recordingKey({ accountId, callId, recordingId, at: new Date(), ext: 'wav' });
  await pg('calls').insert({
    id: callId,
    account_id: accountId,
    site_id: site.siteId,
    provider: 'twilio',
    provider_call_id: `CA${callId}`,
    tracking_e164: twilioNumbers[0],
    caller: '+14155550123',
    started_at: new Date(),
  });
  const stored = await new LocalRecordingStorage(path.join(dataDir, 'recordings')).put(key, makeWav({ seconds: 60, channels: 2 }), 'audio/wav');
  await pg('recordings').insert({
    id: recordingId,
    account_id: accountId,
    call_id: callId,
    provider: 'twilio',
    provider_ref: `RE${recordingId}`,
    status: 'stored',
    storage_key: key,
    content_type: 'audio/wav',
    bytes: stored.bytes,
    sha256: stored.sha256,
    stored_at: new Date(),
  });

  // Sessions the heartbeat route keeps alive.
  const sessions: string[] = [];
  for (let i = 0; i < HEARTBEAT_SESSIONS; i++) {
    const res = await fetch(`${base}/v1/dni/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': BROWSER_UA },
      body: JSON.stringify({ site: site.siteKey, url: `https://bench.example/?utm_source=google&utm_medium=cpc&hb=${i}` }),
    });
    const body = (await res.json()) as { session?: string };
    if (!res.ok || !body.session) throw new Error(`heartbeat session ${i}: ${res.status}`);
    sessions.push(body.session);
  }

  const signed = (hook: string, params: Record<string, string>) => ({
    method: 'POST',
    path: `/v1/telephony/twilio/${hook}`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC}/v1/telephony/twilio/${hook}`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  const placed: string[] = [];
  const toStatus: { sid: string; from: string; to: string }[] = [];
  let n = 0;
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  const owner =
    (p: string, extra: Record<string, string> = {}) =>
    (req: Record<string, unknown>) => ({
      ...req,
      method: 'GET',
      path: p,
      body: undefined,
      headers: { authorization: `Bearer ${API_KEY}`, ...extra },
    });
  const routes: { name: string; connections: number; requests: BenchRequest[] }[] = [
    {
      name: 'dni-new',
      connections: 10,
      requests: [
        {
          path: '/v1/dni/sessions',
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ site: site.siteKey, url: `https://bench.example/?utm_source=load&n=${n++}` }) }),
        },
      ],
    },
    {
      name: 'heartbeat',
      connections: 10,
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            path: `/v1/dni/sessions/${sessions[n++ % sessions.length]}/heartbeat`,
            body: JSON.stringify({ site: site.siteKey }),
          }),
        },
      ],
    },
    {
      name: 'voice',
      connections: 5,
      requests: [
        {
          setupRequest: (req, ctx) => {
            const call = {
              sid: randomSid('CA'),
              from: `+1555777${String(n++ % 10_000).padStart(4, '0')}`,
              to: twilioNumbers[n % twilioNumbers.length]!,
            };
            ctx.call = call;
            return { ...req, ...signed('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: call.sid, from: call.from, to: call.to })) };
          },
          onResponse: (status, body, ctx) => {
            if (status === 200 && body.includes('<Dial')) {
              const call = ctx.call as { sid: string; from: string; to: string };
              placed.push(call.sid);
              toStatus.push(call);
            }
          },
        },
      ],
    },
    {
      name: 'status',
      connections: 3,
      requests: [
        {
          setupRequest: (req) => {
            // The final status of a call the voice route placed (a call not placed yet: one of the first ones).
            const call = toStatus.shift() ?? {
              sid: placed[n++ % Math.max(1, placed.length)] ?? randomSid('CA'),
              from: '+15557770000',
              to: twilioNumbers[0]!,
            };
            const script = answeredCallCallbacks({
              accountSid: ACCOUNT_SID,
              callSid: call.sid,
              from: call.from,
              to: call.to,
              forwardTo: '+15550000002',
              talkSeconds: 42,
            });
            const final = script.find((step) => step.path === 'status')!;
            return { ...req, ...signed('status', final.params) };
          },
        },
      ],
    },
    {
      name: 'report',
      connections: 2,
      requests: [{ setupRequest: owner(`/v1/reports/summary?siteId=${site.siteId}&from=${monthAgo}&to=${today}&groupBy=channel`) }],
    },
    {
      name: 'playback',
      connections: 2,
      requests: [{ setupRequest: owner(`/v1/calls/${callId}/recording`, { range: 'bytes=0-65535' }) }],
    },
  ];

  process.stdout.write(
    `bench:load  server mode (PostgreSQL + Redis on loopback), ${SECONDS} s, all routes at once, ${routes.reduce((s, r) => s + r.connections, 0)} connections, node ${process.version}\n`,
  );
  const load0 = loadavg();
  const results = await Promise.all(routes.map((r) => drive({ url: base, connections: r.connections, seconds: SECONDS, requests: r.requests })));
  const load1 = loadavg();
  let failed = 0;
  let total = 0;
  results.forEach((res: AutocannonResult, i) => {
    const r = routes[i]!;
    const bad = res.non2xx + res.errors + res.timeouts;
    failed += bad;
    total += res.requests.average;
    process.stdout.write(
      `  ${r.name.padEnd(10)} ${String(r.connections).padStart(2)} conn  ${String(Math.round(res.requests.average)).padStart(6)} req/s  ` +
        `p50 ${String(res.latency.p50).padStart(4)} ms  p99 ${String(res.latency.p99).padStart(5)} ms  non-2xx ${res.non2xx}  errors ${res.errors + res.timeouts}\n`,
    );
  });

  // Every voice call answered is stored once, after the writes behind the answers have drained.
  const storedOnce = async (): Promise<{ stored: number; doubled: number }> => {
    const rows = (await pg('calls')
      .whereIn('provider_call_id', placed)
      .groupBy('provider_call_id')
      .select('provider_call_id', pg.raw('count(*)::int as n'))) as {
      n: number;
    }[];
    return { stored: rows.length, doubled: rows.filter((r) => r.n > 1).length };
  };
  let check = await storedOnce();
  for (const until = Date.now() + 120_000; check.stored < placed.length && Date.now() < until; check = await storedOnce())
    await new Promise((r) => setTimeout(r, 500));
  await pg.destroy();
  const rss = peakRssMb(gw.pid);
  process.stdout.write(
    `  total      ${Math.round(total)} req/s; gateway peak RSS ${rss.toFixed(0)} MB; load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ` +
      `${load1.map((l) => l.toFixed(2)).join(' ')} after\n` +
      `  voice calls answered ${placed.length}, stored ${check.stored} (doubled ${check.doubled})\n`,
  );
  const missing = placed.length - check.stored;
  process.stdout.write(
    `load: ${Math.round(total)} req/s over ${routes.length} routes, worst p99 ${Math.max(...results.map((r) => r.latency.p99))} ms, ` +
      `peak RSS ${rss.toFixed(0)} MB, errors ${failed}, calls missing ${missing}, doubled ${check.doubled}\n`,
  );
  if (failed || missing || check.doubled) process.exitCode = 1;
}

async function cleanup(): Promise<void> {
  await Promise.all(children.map((c) => stopProcess(c)));
  if (scratchCreated) await admin.raw(`DROP DATABASE IF EXISTS ${scratchDb} WITH (FORCE)`).catch(() => undefined);
  await admin.destroy();
  await deleteRedisKeys(redisUrl, keyPrefix);
  rmSync(dataDir, { recursive: true, force: true });
}

await runBench(main, cleanup);
