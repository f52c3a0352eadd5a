/**
 * `npm run bench:visit-writes`: what the visit write-behind costs per visit, on a scratch PostgreSQL database: node's
 * CPU time (process.cpuUsage: the gateway's share of the machine) and wall time (PostgreSQL's share included) for
 * 10 batches of 2,000 visits, new visitors (every row an insert) and page two (1,000 sessions seen again: every row an
 * upsert that merges pages). Two sittings of each, interleaved. Env: BENCH_DB (postgres, the default, or pglite: the
 * embedded database in a scratch data directory, on its own thread as `npm start` runs it), DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created there and dropped). Also prints visits/s
 * (wall): the rate the write-behind sustains before its queue fills. On PostgreSQL it also prints the CPU time its
 * backends of the scratch database used (/proc/<pid>/stat, the server on this machine): the database's share, which
 * does not depend on the machine's load the way wall time does. BENCH_BATCHES: batches per line (default 10);
 * BENCH_ROWS: rows per write statement (the recorder's batch; default 2,000).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import type { VisitRecord } from '../gateway/src/features/dni/visit-recorder.js';
import { VisitRecorder } from '../gateway/src/features/dni/visit-recorder.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import { benchVisit } from './lib/bench-visit.js';
import { pgBackendsCpu } from './lib/proc-cpu.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BATCHES = Number(process.env.BENCH_BATCHES ?? 10);
const BATCH = 2_000;
/** Rows per statement batch of the recorder (the gateway's own setting by default: 2,000; BENCH_ROWS to compare). */
const ROWS = Number(process.env.BENCH_ROWS ?? BATCH);
const KIND = process.env.BENCH_DB === 'pglite' ? 'pglite' : 'postgres';
const name = `bench_visits_${randomBytes(3).toString('hex')}`;
const admin = KIND === 'postgres' ? knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } }) : null;
const dataDir = KIND === 'pglite' ? mkdtempSync(path.join(tmpdir(), 'bench-visits-')) : null;
let db: Knex;
let closeDb: () => Promise<void>;
if (admin) {
  await admin.raw(`CREATE DATABASE ${name}`);
  db = knexFactory({
    client: 'pg',
    connection: Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString(),
    pool: { min: 1, max: 4 },
  });
  closeDb = () => db.destroy();
} else {
  const opened = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir as string, 'db') });
  db = opened.knex;
  closeDb = () => opened.close();
}
try {
  await migrateLatest(db);
  await db('accounts').insert({ id: 'bench_acc', name: 'Bench' });
  await db('sites').insert({ id: 'bench_site', account_id: 'bench_acc', name: 'Bench', public_key: 'kbenchvisits1' });
  let n = 0;
  const record = (pageTwo: boolean): VisitRecord => {
    const i = n++;
    return benchVisit('bench_acc', 'bench_site', pageTwo ? i % 1_000 : i, i);
  };
  // The scratch database's backends (PostgreSQL only): the server's share of each visit.
  const dbCpu = admin ? pgBackendsCpu(admin, name) : null;
  process.stdout.write(
    `bench:visit-writes  ${KIND}, ${BATCHES} batches of ${BATCH} visits per line (${ROWS} rows per statement), node ${process.version}\n`,
  );
  for (let sitting = 0; sitting < 2; sitting++)
    for (const pageTwo of [false, true]) {
      const recorder = new VisitRecorder({ db, logger: createLogger({ level: 'silent' }), flushMs: 1e9, batch: ROWS });
      await dbCpu?.start();
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let b = 0; b < BATCHES; b++) {
        for (let k = 0; k < BATCH; k++) await recorder.visit(record(pageTwo));
        await recorder.flush();
      }
      const used = process.cpuUsage(cpu);
      const visits = BATCHES * BATCH;
      const dbPart = dbCpu ? `  PostgreSQL CPU ${((await dbCpu.stop()) / visits).toFixed(1)} µs/visit` : '';
      const wallUs = Number(process.hrtime.bigint() - started) / 1e3 / visits;
      process.stdout.write(
        `  ${pageTwo ? 'page two' : 'new     '}  node CPU ${((used.user + used.system) / visits).toFixed(1)} µs/visit  ` +
          `wall ${wallUs.toFixed(1)} µs/visit (${Math.round(1e6 / wallUs)} visits/s)${dbPart}  lost ${recorder.lost}\n`,
      );
    }
} finally {
  await closeDb();
  if (admin) {
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
