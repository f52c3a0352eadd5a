/**
 * `npm run bench:visit-writes`: what the visit write-behind costs per visit, on a scratch PostgreSQL database: node's
 * CPU time (process.cpuUsage: the gateway's share of the machine) and wall time (PostgreSQL's share included) for
 * 10 batches of 2,000 visits, new visitors (every row an insert) and page two (1,000 sessions seen again: every row an
 * upsert that merges pages), and the CPU time of the PostgreSQL backends that wrote them (from /proc: the server's
 * share, which competes with the gateway for the same cores). Two sittings of each, interleaved. Env: DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created there and dropped).
 */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { classifyVisit } from '../gateway/src/features/dni/visit-classifier.js';
import type { VisitRecord } from '../gateway/src/features/dni/visit-recorder.js';
import { VisitRecorder } from '../gateway/src/features/dni/visit-recorder.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import { BROWSER_UA } from './lib/autocannon-rounds.js';
import { pgBackendsCpu } from './lib/proc-cpu.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BATCHES = 10;
const BATCH = 2_000;
const name = `bench_visits_${randomBytes(3).toString('hex')}`;
const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
await admin.raw(`CREATE DATABASE ${name}`);
const db = knexFactory({
  client: 'pg',
  connection: Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString(),
  pool: { min: 1, max: 4 },
});
const pgCpu = pgBackendsCpu(admin, name);
try {
  await migrateLatest(db);
  await db('accounts').insert({ id: 'bench_acc', name: 'Bench' });
  await db('sites').insert({ id: 'bench_site', account_id: 'bench_acc', name: 'Bench', public_key: 'kbenchvisits1' });
  const landing = 'https://www.example.com/landing?utm_source=google&utm_medium=cpc&gclid=abc';
  const visit = classifyVisit({ pageUrl: landing, referrer: 'https://www.google.com/', siteDomains: ['www.example.com'] });
  let n = 0;
  const record = (pageTwo: boolean): VisitRecord => {
    const i = n++;
    const s = pageTwo ? i % 1_000 : i;
    return {
      accountId: 'bench_acc',
      siteId: 'bench_site',
      visitorId: `v${s}`,
      sessionId: `s${s}`,
      channelId: null,
      pageUrl: `https://www.example.com/p/${i}`,
      referrer: 'https://www.google.com/',
      visit,
      utmSource: 'google',
      utmMedium: 'cpc',
      device: { w: 1920, h: 1080, touch: false, lang: 'en-US', ua: BROWSER_UA },
      clientIds: {},
      ipHash: 'ab'.repeat(32),
      consent: 'not_required',
      isBot: false,
      leased: true,
      attributionTouch: 'first',
      at: new Date(),
    };
  };
  process.stdout.write(`bench:visit-writes  ${BATCHES} batches of ${BATCH} visits per line, node ${process.version}\n`);
  for (let sitting = 0; sitting < 2; sitting++)
    for (const pageTwo of [false, true]) {
      const recorder = new VisitRecorder({ db, logger: createLogger({ level: 'silent' }), flushMs: 1e9 });
      // Each connection of the pool opened before the CPU is read, so none is counted from its start.
      await Promise.all(Array.from({ length: 4 }, () => db.raw('SELECT 1')));
      await pgCpu.start();
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let b = 0; b < BATCHES; b++) {
        for (let k = 0; k < BATCH; k++) await recorder.visit(record(pageTwo));
        await recorder.flush();
      }
      const used = process.cpuUsage(cpu);
      const pgUs = await pgCpu.stop();
      const visits = BATCHES * BATCH;
      process.stdout.write(
        `  ${pageTwo ? 'page two' : 'new     '}  node CPU ${((used.user + used.system) / visits).toFixed(1)} µs/visit  ` +
          `postgres CPU ${(pgUs / visits).toFixed(1)} µs/visit  wall ${(Number(process.hrtime.bigint() - started) / 1e3 / visits).toFixed(1)} µs/visit  ` +
          `lost ${recorder.lost}\n`,
      );
    }
} finally {
  await db.destroy();
  await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.destroy();
}
