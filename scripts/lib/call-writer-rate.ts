/**
 * The call writer on its own, as `bench:voice` measures it: real ringing events (parsed from the voice webhook's
 * form) submitted as fast as a producer can while the writer journals them and writes them in batches to the inbox
 * table of a fresh database; the rate is events per second from the first submit until the last is in the
 * database, then the inbox is checked to hold every event exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { openDatabase } from '../../gateway/src/adapters/db/knex.js';
import type { Database } from '../../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../../gateway/src/adapters/db/migrate.js';
import { inboundParams, randomSid } from '../../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { parseVoice } from '../../gateway/src/adapters/telephony/twilio/twilio-webhook-parser.js';
import { createLogger } from '../../gateway/src/logging/logger.js';
import { BatchedCallEventWriter } from '../../gateway/src/features/call-webhooks/batched-call-event-writer.js';
import { PgCallEventInboxStore } from '../../gateway/src/features/call-webhooks/call-event-inbox-store.js';
import { CallEventJournal } from '../../gateway/src/features/call-webhooks/call-event-journal.js';

export interface WriterRate {
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly statements: number;
  readonly storedOnce: boolean;
}

/** `adminUrl`: a PostgreSQL server to create the fresh database on; without it, embedded PGlite in a temp dir. */
export async function measureWriterRate(opts: { adminUrl?: string; events: number }): Promise<WriterRate> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-writer-'));
  const dbName = `bench_writer_${randomBytes(3).toString('hex')}`;
  const admin = opts.adminUrl ? knexFactory({ client: 'pg', connection: opts.adminUrl, pool: { min: 0, max: 1 } }) : null;
  let db: Database | null = null;
  try {
    if (admin && opts.adminUrl) {
      await admin.raw(`create database ${dbName}`);
      const u = new URL(opts.adminUrl);
      u.pathname = `/${dbName}`;
      db = await openDatabase({ kind: 'postgres', url: u.href, poolMax: 4 });
    } else db = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'db') });
    await migrateLatest(db.knex);

    const store = new PgCallEventInboxStore(db.knex);
    let statements = 0;
    const writer = new BatchedCallEventWriter({
      sink: {
        insertMany: (entries) => {
          statements++;
          return store.insertMany(entries);
        },
      },
      logger: createLogger({ level: 'warn' }),
      journal: new CallEventJournal(path.join(dir, 'journal.jsonl')),
      maxQueued: opts.events,
    });
    const accountSid = randomSid('AC');
    const events = Array.from({ length: opts.events }, (_, i) => {
      const params = inboundParams({
        accountSid,
        callSid: randomSid('CA'),
        from: `+1555777${String(i % 10_000).padStart(4, '0')}`,
        to: '+15551000001',
      });
      return parseVoice(params, new Date()).events[0]!;
    });
    const t0 = performance.now();
    // A producer that yields between slices, as webhooks arriving over time do, so writes overlap the submits.
    for (let i = 0; i < events.length; i += 500) {
      for (const e of events.slice(i, i + 500)) writer.submit(e);
      await new Promise((r) => setImmediate(r));
    }
    await writer.flush();
    const seconds = (performance.now() - t0) / 1_000;
    const row = (await db.knex('call_event_inbox').select(db.knex.raw('count(*)::int as n, count(distinct event_key)::int as d')).first()) as {
      n: number;
      d: number;
    };
    await writer.stop(1_000);
    return {
      events: opts.events,
      seconds,
      perSecond: opts.events / seconds,
      statements,
      storedOnce: row.n === opts.events && row.d === opts.events && writer.pending === 0,
    };
  } finally {
    await db?.close();
    if (admin) {
      await admin.raw(`drop database if exists ${dbName}`).catch(() => undefined);
      await admin.destroy();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
