/**
 * The APPLY step of call writes on its own (`npm run bench:apply`): call events already in the inbox table are
 * applied to calls by the inbox worker through the call service (attribution against seeded lease history, the
 * customer lead, the live feed, the `call_events` ledger), on a fresh PostgreSQL database per sitting (DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/postgres).
 *
 * Per phase (ringing = a new call through attribution and its lead; answered; completed; recording) it prints the
 * events applied per second, the gateway's CPU per event (process.cpuUsage, the whole process), the statements
 * per event and the time the statements took as the client saw it (PostgreSQL plus the round trip). Sittings
 * alternate the one-transaction-per-event path (`single`) with the batched one (`batch`), so both are measured
 * under the same machine load; the load average is printed with each.
 *
 *   --calls N (400)  calls per phase;  --sittings N (4)  alternating single, batch, single, batch ...
 */
import { randomBytes } from 'node:crypto';
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
  options: { calls: { type: 'string', default: '400' }, sittings: { type: 'string', default: '4' } },
});
const CALLS = Number(values.calls);
const SITTINGS = Number(values.sittings);
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
      const started = new Map<string, number>();
      k.on('query', (q: { __knexQueryUid: string }) => {
        statements++;
        started.set(q.__knexQueryUid, performance.now());
      });
      k.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => {
        const s = started.get(q.__knexQueryUid);
        if (s !== undefined) sqlMs += performance.now() - s;
        started.delete(q.__knexQueryUid);
      });
      for (const phase of PHASES) {
        const events = eventsFor(phase, sids, numbers, t0);
        for (let i = 0; i < events.length; i += 500)
          await inbox.insertMany(events.slice(i, i + 500).map((event, j) => ({ id: newId(), event, receivedAt: t0 + i + j })));
        const worker = new CallEventInboxWorker({ inbox, sink, logger: createLogger({ level: 'silent' }) });
        statements = 0;
        sqlMs = 0;
        const cpu0 = process.cpuUsage();
        const w0 = performance.now();
        worker.start();
        while (worker.totals.applied + worker.totals.rejected < events.length) await new Promise((r) => setTimeout(r, 5));
        const wall = (performance.now() - w0) / 1_000;
        const cpu = process.cpuUsage(cpu0);
        await worker.stop();
        if (worker.totals.rejected) throw new Error(`${phase}: ${worker.totals.rejected} events rejected`);
        out.set(phase, {
          perSecond: events.length / wall,
          cpuUsPerEvent: (cpu.user + cpu.system) / events.length,
          statementsPerEvent: statements / events.length,
          sqlMsPerEvent: sqlMs / events.length,
        });
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
    await admin.raw(`drop database if exists ${dbName}`).catch(() => undefined);
    await admin.destroy();
  }
  return out;
}

const results: { mode: Mode; figures: Map<Phase, Figure> }[] = [];
for (let s = 0; s < SITTINGS; s++) {
  const mode: Mode = s % 2 === 0 ? 'single' : 'batch';
  const figures = await sitting(mode);
  results.push({ mode, figures });
  for (const [phase, f] of figures)
    process.stdout.write(
      `  ${mode.padEnd(6)} ${phase.padEnd(9)} ${f.perSecond.toFixed(0).padStart(5)} events/s  CPU ${f.cpuUsPerEvent.toFixed(0).padStart(5)} µs/event  ` +
        `${f.statementsPerEvent.toFixed(1).padStart(5)} statements/event  SQL ${f.sqlMsPerEvent.toFixed(2)} ms/event\n`,
    );
}
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const of = (mode: Mode, phase: Phase, pick: (f: Figure) => number) =>
  median(results.filter((r) => r.mode === mode).map((r) => pick(r.figures.get(phase)!)));
for (const phase of PHASES) {
  const s = of('single', phase, (f) => f.perSecond);
  const b = of('batch', phase, (f) => f.perSecond);
  const sc = of('single', phase, (f) => f.cpuUsPerEvent);
  const bc = of('batch', phase, (f) => f.cpuUsPerEvent);
  process.stdout.write(
    `${phase}: batch ${b.toFixed(0)}/s vs single ${s.toFixed(0)}/s (${(b / s).toFixed(2)}x); CPU ${bc.toFixed(0)} vs ${sc.toFixed(0)} µs/event (${(bc / sc).toFixed(2)}x)\n`,
  );
}
process.stdout.write(
  `applied calls/s (new call through attribution and lead): batch ${of('batch', 'ringing', (f) => f.perSecond).toFixed(0)}, single ${of('single', 'ringing', (f) => f.perSecond).toFixed(0)} (load average ${load()})\n`,
);
