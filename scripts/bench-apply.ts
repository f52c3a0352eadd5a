/**
 * The APPLY step of call writes on its own (`npm run bench:apply`): call events already in the inbox table are
 * applied to calls by the inbox worker through the call service (attribution against seeded lease history, the
 * customer lead, the live feed, the `call_events` ledger), on a fresh PostgreSQL database per sitting (DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/postgres).
 *
 * Per phase (ringing = a new call through attribution and its lead; answered; completed; recording) it prints the
 * events applied per second, the gateway's CPU per event (process.cpuUsage, the whole process), the statements
 * per event, the time the statements took as the client saw it (PostgreSQL plus the round trip) and the CPU the
 * PostgreSQL backends of the sitting's database spent per event (/proc/<pid>/schedstat, ns; PostgreSQL on this
 * machine). Sittings alternate the one-transaction-per-event path (`single`) with the batched one (`batch`), so both
 * are measured under the same machine load; the load average is printed with each.
 *
 *   --calls N (400)  calls per phase;  --sittings N (4)  alternating single, batch, single, batch ...
 *   --modes batch    only the batched path (every sitting);  --statements N  the N statements that took longest
 *   --profile DIR    a V8 CPU profile of each phase, DIR/<mode>-<phase>.cpuprofile (scripts/cpu-profile-top.ts reads it)
 *   --keep           keep each sitting's database (to EXPLAIN its statements) and count plpgsql time (track_functions)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { createContainer } from '../gateway/src/composition-root.js';
import { PgCallEventInboxStore } from '../gateway/src/features/call-webhooks/call-event-inbox-store.js';
import { CallEventInboxWorker } from '../gateway/src/features/call-webhooks/call-event-inbox-worker.js';
import type { CallEvent, CallEventSink } from '../gateway/src/features/calls/call-events.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import { newId } from '../gateway/src/shared/ids.js';
import { seedChannel, seedLease, seedNumber, seedPool, seedSession, seedSite } from '../gateway/test/helpers/call-fixtures.js';
import { createTestConfig } from '../gateway/test/helpers/config.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '400' },
    sittings: { type: 'string', default: '4' },
    modes: { type: 'string', default: 'single,batch' },
    statements: { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const CALLS = Number(values.calls);
const SITTINGS = Number(values.sittings);
const MODES = values.modes.split(',') as Mode[];
const TOP_STATEMENTS = Number(values.statements);
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NUMBERS = 20;
const load = () => loadavg()[0]!.toFixed(1);

type Mode = 'single' | 'batch';
const PHASES = ['ringing', 'answered', 'completed', 'recording'] as const;
type Phase = (typeof PHASES)[number];
interface Figure {
  perSecond: number;
  cpuUsPerEvent: number;
  statementsPerEvent: number;
  sqlMsPerEvent: number;
  pgCpuUsPerEvent: number;
}

/** CPU time a process has run, in ns (`/proc/<pid>/schedstat`: finer than the 10 ms ticks of `stat`); 0 once gone. */
function runNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

function eventsFor(phase: Phase, sids: readonly string[], numbers: readonly string[], t0: number): CallEvent[] {
  return sids.map((sid, i): CallEvent => {
    const base = { provider: 'twilio' as const, providerCallId: sid };
    const at = (s: number) => new Date(t0 + i * 1_000 + s * 1_000);
    switch (phase) {
      case 'ringing':
        // Callers repeat (one in five twice): some calls join the caller's lead, the rest open one.
        return {
          ...base,
          type: 'call.ringing',
          eventKey: `${sid}:voice`,
          occurredAt: at(0),
          trackingNumber: numbers[i % numbers.length]!,
          caller: `+1555300${String(i % Math.ceil(sids.length * 0.8)).padStart(4, '0')}`,
        };
      case 'answered':
        return { ...base, type: 'call.answered', eventKey: `${sid}:status:in-progress`, occurredAt: at(5), answeredBy: 'human' };
      case 'completed':
        return { ...base, type: 'call.ended', eventKey: `${sid}:status:completed`, occurredAt: at(65), outcome: 'completed' };
      case 'recording':
        return {
          ...base,
          type: 'recording.available',
          eventKey: `${sid}:recording:RE${sid.slice(2)}`,
          occurredAt: at(66),
          source: {
            kind: 'twilio',
            recordingSid: `RE${sid.slice(2)}`,
            url: `https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE${sid.slice(2)}`,
            accountSid: 'AC0',
            durationSeconds: 60,
            channels: 1,
            status: 'completed',
          },
        };
    }
    throw new Error(`unknown phase ${phase}`);
  });
}

async function sitting(mode: Mode): Promise<Map<Phase, Figure>> {
  const dbName = `bench_apply_${randomBytes(3).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${dbName}`);
  if (values.keep) await admin.raw(`alter database ${dbName} set track_functions = 'pl'`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  const database = await openDatabase({ kind: 'postgres', url: u.href, poolMax: 10 });
  const out = new Map<Phase, Figure>();
  try {
    await migrateLatest(database.knex);
    const container = await createContainer(createTestConfig({ db: { kind: 'postgres', url: u.href, poolMax: 10 } }), {
      defaultMetrics: false,
      database,
    });
    try {
      const boot = await container.bootstrap();
      const accountId = boot!.accountId;
      const k = database.knex;
      // A site with a session pool: lease history on every number, so attribution finds the holders.
      const siteId = await seedSite(k, accountId);
      const channelId = await seedChannel(k, accountId, siteId, 'Paid');
      const poolId = await seedPool(k, accountId, siteId, { kind: 'session', channelId });
      const t0 = Date.now() - 3_600_000;
      const numbers: string[] = [];
      for (let n = 0; n < NUMBERS; n++) {
        const e164 = `+1555200${String(n).padStart(4, '0')}`;
        const numberId = await seedNumber(k, accountId, { e164, siteId, poolId });
        numbers.push(e164);
        for (let l = 0; l < 10; l++) {
          const s = await seedSession(k, accountId, siteId, { channelId });
          const leasedAt = new Date(t0 + (l * CALLS * 1_000) / 10 - 30_000);
          await seedLease(k, accountId, {
            poolId,
            numberId,
            e164,
            sessionId: s.sessionId,
            visitorId: s.visitorId,
            leasedAt,
            releasedAt: new Date(leasedAt.getTime() + (CALLS * 1_000) / 12),
          });
        }
      }
      const sids = Array.from({ length: CALLS }, () => `CA${newId().toLowerCase().padEnd(32, '0').slice(0, 32)}`);
      const calls = container.services.calls;
      const sink: CallEventSink = mode === 'batch' ? calls : { apply: (e) => calls.apply(e) };
      const inbox = new PgCallEventInboxStore(k);
      let statements = 0;
      let sqlMs = 0;
      const started = new Map<string, { at: number; sql: string }>();
      const bySql = new Map<string, { n: number; ms: number }>();
      k.on('query', (q: { __knexQueryUid: string; sql: string }) => {
        statements++;
        started.set(q.__knexQueryUid, { at: performance.now(), sql: q.sql });
      });
      k.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => {
        const s = started.get(q.__knexQueryUid);
        if (s !== undefined) {
          const ms = performance.now() - s.at;
          sqlMs += ms;
          if (TOP_STATEMENTS) {
            const key = s.sql.replace(/\s+/g, ' ').slice(0, 110);
            const t = bySql.get(key) ?? { n: 0, ms: 0 };
            bySql.set(key, { n: t.n + 1, ms: t.ms + ms });
          }
        }
        started.delete(q.__knexQueryUid);
      });
      const backends = async () =>
        ((await admin.raw('SELECT pid FROM pg_stat_activity WHERE datname = ?', [dbName])) as { rows: { pid: number }[] }).rows.map((r) => r.pid);
      for (const phase of PHASES) {
        const events = eventsFor(phase, sids, numbers, t0);
        for (let i = 0; i < events.length; i += 500)
          await inbox.insertMany(events.slice(i, i + 500).map((event, j) => ({ id: newId(), event, receivedAt: t0 + i + j })));
        const worker = new CallEventInboxWorker({ inbox, sink, logger: createLogger({ level: 'silent' }) });
        statements = 0;
        sqlMs = 0;
        bySql.clear();
        const pg0 = new Map((await backends()).map((pid) => [pid, runNs(pid)] as const));
        const profiler = values.profile ? new Session() : null;
        if (profiler) {
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
        }
        const cpu0 = process.cpuUsage();
        const w0 = performance.now();
        worker.start();
        while (worker.totals.applied + worker.totals.rejected < events.length) await new Promise((r) => setTimeout(r, 5));
        const wall = (performance.now() - w0) / 1_000;
        const cpu = process.cpuUsage(cpu0);
        if (profiler && values.profile) {
          const { profile } = await profiler.post('Profiler.stop');
          mkdirSync(values.profile, { recursive: true });
          writeFileSync(`${values.profile}/${mode}-${phase}.cpuprofile`, JSON.stringify(profile));
          profiler.disconnect();
        }
        let pgNs = 0;
        // A backend that connected during the phase counts from zero; one that left is lost (the pool keeps them).
        for (const pid of await backends()) pgNs += runNs(pid) - (pg0.get(pid) ?? 0);
        await worker.stop();
        if (worker.totals.rejected) throw new Error(`${phase}: ${worker.totals.rejected} events rejected`);
        out.set(phase, {
          perSecond: events.length / wall,
          cpuUsPerEvent: (cpu.user + cpu.system) / events.length,
          statementsPerEvent: statements / events.length,
          sqlMsPerEvent: sqlMs / events.length,
          pgCpuUsPerEvent: pgNs / 1_000 / events.length,
        });
        if (TOP_STATEMENTS)
          for (const [sql, t] of [...bySql].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP_STATEMENTS))
            process.stdout.write(`    ${phase} ${t.n.toString().padStart(5)}x ${(t.ms / events.length).toFixed(2).padStart(6)} ms/event  ${sql}\n`);
      }
      const check = (await k('calls')
        .select(
          k.raw('count(*)::int as calls'),
          k.raw('count(lead_id)::int as leads'),
          k.raw("count(*) filter (where status = 'ended')::int as ended"),
          k.raw('count(session_id)::int as attributed'),
        )
        .first()) as { calls: number; leads: number; ended: number; attributed: number };
      const recordings = (await k('recordings').count({ n: '*' }).first()) as { n: string | number };
      if (check.calls !== CALLS || check.leads !== CALLS || check.ended !== CALLS || Number(recordings.n) !== CALLS)
        throw new Error(`stored: ${JSON.stringify(check)}, recordings ${recordings.n}`);
      process.stdout.write(
        `${mode}: ${CALLS} calls, ${check.attributed} attributed to a session, every call with its lead (load average ${load()})\n`,
      );
    } finally {
      await container.stop();
    }
  } finally {
    await database.close();
    if (values.keep) process.stdout.write(`kept database ${dbName}\n`);
    else await admin.raw(`drop database if exists ${dbName}`).catch(() => undefined);
    await admin.destroy();
  }
  return out;
}

const results: { mode: Mode; figures: Map<Phase, Figure> }[] = [];
for (let s = 0; s < SITTINGS; s++) {
  const mode: Mode = MODES[s % MODES.length]!;
  const figures = await sitting(mode);
  results.push({ mode, figures });
  for (const [phase, f] of figures)
    process.stdout.write(
      `  ${mode.padEnd(6)} ${phase.padEnd(9)} ${f.perSecond.toFixed(0).padStart(5)} events/s  CPU ${f.cpuUsPerEvent.toFixed(0).padStart(5)} µs/event  ` +
        `PostgreSQL ${f.pgCpuUsPerEvent.toFixed(0).padStart(5)} µs/event  ${f.statementsPerEvent.toFixed(1).padStart(5)} statements/event  SQL ${f.sqlMsPerEvent.toFixed(2)} ms/event\n`,
    );
}
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const of = (mode: Mode, phase: Phase, pick: (f: Figure) => number) =>
  median(results.filter((r) => r.mode === mode).map((r) => pick(r.figures.get(phase)!)));
const has = (mode: Mode) => results.some((r) => r.mode === mode);
for (const phase of PHASES) {
  const bc = of('batch', phase, (f) => f.cpuUsPerEvent);
  const bp = of('batch', phase, (f) => f.pgCpuUsPerEvent);
  const b = of('batch', phase, (f) => f.perSecond);
  if (!has('single')) {
    process.stdout.write(`${phase}: batch ${b.toFixed(0)}/s; CPU ${bc.toFixed(0)} µs/event, PostgreSQL ${bp.toFixed(0)} µs/event\n`);
    continue;
  }
  if (!has('batch')) continue;
  const s = of('single', phase, (f) => f.perSecond);
  const sc = of('single', phase, (f) => f.cpuUsPerEvent);
  const sp = of('single', phase, (f) => f.pgCpuUsPerEvent);
  process.stdout.write(
    `${phase}: batch ${b.toFixed(0)}/s vs single ${s.toFixed(0)}/s (${(b / s).toFixed(2)}x); CPU ${bc.toFixed(0)} vs ${sc.toFixed(0)} µs/event (${(bc / sc).toFixed(2)}x); ` +
      `PostgreSQL ${bp.toFixed(0)} vs ${sp.toFixed(0)} µs/event\n`,
  );
}
const rate = (mode: Mode) => (has(mode) ? of(mode, 'ringing', (f) => f.perSecond).toFixed(0) : '-');
process.stdout.write(
  `applied calls/s (new call through attribution and lead): batch ${rate('batch')}, single ${rate('single')} (load average ${load()})\n`,
);
