/**
 * `npx tsx scripts/bench-visit-statements.ts`: what PostgreSQL does per row of the DNI write-behind, statement by
 * statement: the CPU time of the one backend that runs them (`/proc/<pid>/schedstat`, nanoseconds, read before and
 * after each statement; the 10 ms ticks of /proc/<pid>/stat are too coarse for one statement), per row, for batches
 * of visits (new visitors, page two, new visitors with the report-fact triggers of web_sessions off: the floor) and
 * of lease history rows as the Redis stream flusher writes them (leases, then their releases, with how many of the
 * releases were heap-only updates). On a scratch database (created on DATABASE_URL's server, default
 * postgres://postgres@127.0.0.1:5432/postgres, dropped afterwards) preloaded with BENCH_PRELOAD sessions and lease
 * rows (default 100,000) and ANALYZEd (the PostgreSQL here runs without autovacuum). BENCH_BATCH rows a statement
 * (default 300: what the gateway's 200 ms flush holds at ~1,500 new visitors/s), BENCH_BATCHES per line (default
 * 40), BENCH_PART visits|history|all (default all). pg_stat_statements needs a server restart to load; this needs none.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import knexFactory from 'knex';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { upsertHistory } from '../gateway/src/adapters/redis/lease-history-flusher.js';
import type { HistoryRow } from '../gateway/src/adapters/redis/lease-history-flusher.js';
import type { Item, VisitRecord } from '../gateway/src/features/dni/visit-recorder.js';
import { write } from '../gateway/src/features/dni/visit-rows-sql.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import { benchVisit } from './lib/bench-visit.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const B = Number(process.env.BENCH_BATCH ?? 300);
const K = Number(process.env.BENCH_BATCHES ?? 40);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 100_000);
const name = `bench_stmts_${randomBytes(3).toString('hex')}`;
const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
await admin.raw(`CREATE DATABASE ${name}`);
// One connection: every statement runs on the backend whose CPU time is read around it.
const db = knexFactory({
  client: 'pg',
  connection: Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString(),
  pool: { min: 1, max: 1 },
});
const logger = createLogger({ level: 'silent' });
const ns = (pid: number) => (pid === 0 ? 0 : Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]));
const HOT = 'SELECT relname, n_tup_upd::int AS updated, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables WHERE relname = ANY (?)';
const acc = new Map<string, { ns: number; n: number }>();
let pid = 0;
let t0 = 0;
let label = '';
db.on('query', (q: { sql: string }) => {
  label = q.sql.replace(/\s+/g, ' ').slice(0, 60);
  t0 = ns(pid);
});
db.on('query-response', () => {
  const d = ns(pid) - t0;
  const cur = acc.get(label) ?? { ns: 0, n: 0 };
  cur.ns += d;
  cur.n++;
  acc.set(label, cur);
});
try {
  await migrateLatest(db);
  pid = ((await db.raw('SELECT pg_backend_pid() AS p')) as { rows: { p: number }[] }).rows[0]!.p;
  await db('accounts').insert({ id: 'a', name: 'A' });
  await db('sites').insert({ id: 's', account_id: 'a', name: 'S', public_key: 'kpgcost00001' });
  let n = 0;
  const rec = (s: number): VisitRecord => benchVisit('a', 's', s, n++);
  let next = 0;
  const batch = (k: number): Item[] => Array.from({ length: k }, () => ({ kind: 'visit' as const, r: rec(next++) }));
  for (let i = 0; i < PRELOAD; i += 2000) await db.transaction((trx) => write(trx, batch(2000)));
  let lease = 0;
  const hist = (i: number, release: boolean): HistoryRow => ({
    id: `L${i}`,
    account_id: 'a',
    pool_id: 'p1',
    tracking_number_id: `n${i % 25000}`,
    e164: `+1555${String(i % 25000).padStart(7, '0')}`,
    session_id: `s${i}`,
    visitor_id: `v${i}`,
    leased_at: new Date(Date.now() - (release ? 10_000 : 0)),
    released_at: release ? new Date() : null,
    release_reason: release ? 'expired' : null,
    reclaimed_from: null,
  });
  for (let i = 0; i < PRELOAD; i += 500)
    await upsertHistory(
      db,
      Array.from({ length: 500 }, () => hist(lease++, false)),
      logger,
    );
  await db.raw('ANALYZE');
  const phase = async (title: string, fn: () => Promise<void>, per: number) => {
    acc.clear();
    const a = ns(pid);
    for (let k = 0; k < K; k++) await fn();
    const total = (ns(pid) - a) / 1e3 / (K * per);
    process.stdout.write(`${title}: ${total.toFixed(1)} µs backend CPU per row\n`);
    for (const [l, v] of [...acc].sort((x, y) => y[1].ns - x[1].ns).slice(0, 6))
      if (v.ns / 1e3 / (K * per) >= 1) process.stdout.write(`    ${(v.ns / 1e3 / (K * per)).toFixed(1).padStart(7)} µs  ×${v.n}  ${l}\n`);
  };
  process.stdout.write(`bench:visit-statements  ${K} batches of ${B} per line, ${PRELOAD} sessions and lease rows before\n`);
  const mode = process.env.BENCH_PART ?? 'all';
  if (mode === 'all' || mode === 'visits') {
    await phase('new visits', () => db.transaction((trx) => write(trx, batch(B))), B);
    let p2 = PRELOAD - 2000;
    await phase(
      'page two',
      () =>
        db.transaction((trx) =>
          write(
            trx,
            Array.from({ length: B }, () => ({ kind: 'visit' as const, r: rec(p2++) })),
          ),
        ),
      B,
    );
    await db.raw('SELECT pg_stat_force_next_flush()');
    process.stdout.write(`    updates, heap-only: ${JSON.stringify((await db.raw(HOT, [['web_sessions', 'visitors']])).rows)}\n`);
    await db.raw('ALTER TABLE web_sessions DISABLE TRIGGER USER');
    await phase('new visits, fact triggers off', () => db.transaction((trx) => write(trx, batch(B))), B);
    await db.raw('ALTER TABLE web_sessions ENABLE TRIGGER USER');
  }
  if (mode === 'all' || mode === 'history') {
    let released = PRELOAD;
    await phase(
      'lease rows',
      () =>
        upsertHistory(
          db,
          Array.from({ length: B }, () => hist(lease++, false)),
          logger,
        ),
      B,
    );
    await phase(
      'release rows',
      () =>
        upsertHistory(
          db,
          Array.from({ length: B }, () => hist(released++, true)),
          logger,
        ),
      B,
    );
    await db.raw('SELECT pg_stat_force_next_flush()');
    process.stdout.write(`    updates, heap-only: ${JSON.stringify((await db.raw(HOT, [['number_leases']])).rows)}\n`);
  }
} finally {
  await db.destroy();
  await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.destroy();
}
