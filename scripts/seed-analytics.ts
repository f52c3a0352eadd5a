/**
 * `npm run seed:analytics -- --calls 1000000`: a bench site with that many calls (two web sessions each, leads,
 * deals, a year of spend) in the configured database (DATABASE_URL, or the embedded PGlite in DATA_DIR), for
 * `npm run bench:reports`. Replaces an earlier bench site; other sites are left alone.
 */
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { loadConfig } from '../gateway/src/config.js';
import { seedAnalytics } from '../gateway/src/features/reports/bench/analytics-seed.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
};

const calls = arg('calls', 1_000_000);
const config = loadConfig();
const db = await openDatabase(config.db);
const t0 = Date.now();
let last = '';
const bar = (stage: string, done: number, total: number): void => {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((done / total) * 100)).padStart(3)}% ${stage} ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${((Date.now() - t0) / 1000).toFixed(0)} s)`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(last.length)}${done === total ? '\n' : ''}`);
  else if (done === total) process.stderr.write(`${line}\n`);
  last = line;
};
try {
  await migrateLatest(db.knex);
  const r = await seedAnalytics(db.knex, { calls, progress: bar });
  process.stdout.write(`seeded ${calls} calls on site ${r.siteId} (${db.kind}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
} finally {
  await db.close();
}
