/**
 * `npm run bench:reports`: the end-to-end report over the bench site `npm run seed:analytics` built, a 30-day range,
 * every groupBy under the default model (and the other two models by channel): p50 and p99 per query with the
 * ratio of p99 to the 1 s target, then `reports: <calls> calls, worst p99 <N> ms`. Runs the report service in process
 * against the configured database. Without a bench site it first builds one (`seed:analytics`, 1,000,000 calls);
 * `--calls N` (re)builds it with N calls unless it has that many already. `--runs N` (default 20), `--source live` to
 * time the read-time attribution the fact tables replace (`facts`, the default, is what the gateway serves).
 */
import { loadavg } from 'node:os';
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { loadConfig } from '../gateway/src/config.js';
import { BENCH_END, BENCH_SITE_KEY } from '../gateway/src/features/reports/bench/analytics-seed.js';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { seedAnalytics } from '../gateway/src/features/reports/bench/analytics-seed.js';
import { ReportReadModel } from '../gateway/src/features/reports/report-read-model.js';
import type { ReportSource } from '../gateway/src/features/reports/report-read-model.js';
import { ReportService } from '../gateway/src/features/reports/report-service.js';
import { GROUP_BYS } from '../gateway/src/features/reports/report-types.js';
import type { AttributionModel, GroupBy } from '../gateway/src/features/reports/report-types.js';

const opt = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(opt('runs')) || 20;
const WARMUP = 2;
const TARGET_MS = 1000;
const source = (opt('source') ?? 'facts') as ReportSource;
if (source !== 'facts' && source !== 'live') throw new Error('--source must be facts or live');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const config = loadConfig();
const db = await openDatabase(config.db);
try {
  await migrateLatest(db.knex);
  const benchSite = async () =>
    (await db.knex('sites').where({ public_key: BENCH_SITE_KEY }).first('id', 'account_id')) as { id: string; account_id: string } | undefined;
  const callsOf = async (siteId: string) => Number(((await db.knex('calls').where({ site_id: siteId }).count('* as n').first()) as { n: unknown }).n);
  const wanted = opt('calls') === undefined ? null : Number(opt('calls'));
  if (wanted !== null && (!Number.isInteger(wanted) || wanted < 1)) throw new Error('--calls must be a positive whole number');
  const existing = await benchSite();
  if (!existing || (wanted !== null && (await callsOf(existing.id)) !== wanted)) {
    const n = wanted ?? 1_000_000;
    const t0 = Date.now();
    await seedAnalytics(db.knex, {
      calls: n,
      progress: (stage, done, total) => {
        if (done === total) process.stderr.write(`seeded: ${stage} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      },
    });
    process.stdout.write(`seeded ${n} calls in ${((Date.now() - t0) / 1000).toFixed(1)} s (load average ${load()})\n`);
  }
  const site = (await benchSite())!;
  // Autovacuum is off on the servers this runs on: fresh statistics for the tables the report reads.
  if (db.kind === 'postgres')
    for (const tbl of ['report_call_facts', 'report_session_facts', 'ad_spend', 'calls', 'web_sessions', 'leads'])
      await db.knex.raw(`ANALYZE ${tbl}`);
  const calls = await callsOf(site.id);
  const reports = new ReportService({ db: db.knex, readModel: new ReportReadModel(source) });
  const principal = { accountId: site.account_id, role: 'analyst' as const, userId: null, apiKeyId: null, via: 'api_key' as const };
  const to = BENCH_END;
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  const cases: [GroupBy, AttributionModel][] = [
    ...GROUP_BYS.map((g) => [g, 'last_non_direct'] as [GroupBy, AttributionModel]),
    ['channel', 'last_click'],
    ['channel', 'first_click'],
  ];
  process.stdout.write(
    `${db.kind}, ${source}, ${calls} calls on the bench site, ${from}..${to} (30 days), ${RUNS} runs each after ${WARMUP} warm-up; load average ${load()}\n`,
  );
  let worst = 0;
  for (const [groupBy, model] of cases) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const t0 = performance.now();
      const r = await reports.summary(principal, { siteId: site.id, from, to, groupBy, model, filter: {}, lang: 'en' });
      if (i >= WARMUP) times.push(performance.now() - t0);
      rows = r.rows.length;
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
    worst = Math.max(worst, pct(99));
    process.stdout.write(
      `${`${groupBy} (${model})`.padEnd(34)} p50 ${pct(50).toFixed(0).padStart(5)} ms  p99 ${pct(99).toFixed(0).padStart(5)} ms  p99/target ${(pct(99) / TARGET_MS).toFixed(2)}  ${rows} rows\n`,
    );
  }
  process.stdout.write(`load average ${load()}; worst p99/target ${(worst / TARGET_MS).toFixed(2)}\n`);
  process.stdout.write(`reports: ${calls} calls, worst p99 ${worst.toFixed(0)} ms\n`);
} finally {
  await db.close();
}
