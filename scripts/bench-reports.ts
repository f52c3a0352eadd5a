/**
 * `npm run bench:reports`: the end-to-end report over the bench site `npm run seed:analytics` built, a 30-day range,
 * every groupBy under the default model (and the other two models by channel): p50 and p99 per query, then
 * `reports: <calls> calls, worst p99 <N> ms`. Runs the report service in process against the configured database.
 */
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { loadConfig } from '../gateway/src/config.js';
import { BENCH_END, BENCH_SITE_KEY } from '../gateway/src/features/reports/bench/analytics-seed.js';
import { ReportReadModel } from '../gateway/src/features/reports/report-read-model.js';
import { ReportService } from '../gateway/src/features/reports/report-service.js';
import { GROUP_BYS } from '../gateway/src/features/reports/report-types.js';
import type { AttributionModel, GroupBy } from '../gateway/src/features/reports/report-types.js';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const WARMUP = 2;
const config = loadConfig();
const db = await openDatabase(config.db);
try {
  const site = (await db.knex('sites').where({ public_key: BENCH_SITE_KEY }).first('id', 'account_id')) as
    | { id: string; account_id: string }
    | undefined;
  if (!site) throw new Error('No bench site: run `npm run seed:analytics -- --calls 1000000` first');
  const calls = Number(((await db.knex('calls').where({ site_id: site.id }).count('* as n').first()) as { n: unknown }).n);
  const reports = new ReportService({ db: db.knex, readModel: new ReportReadModel() });
  const principal = { accountId: site.account_id, role: 'analyst' as const, userId: null, apiKeyId: null, via: 'api_key' as const };
  const to = BENCH_END;
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  const cases: [GroupBy, AttributionModel][] = [
    ...GROUP_BYS.map((g) => [g, 'last_non_direct'] as [GroupBy, AttributionModel]),
    ['channel', 'last_click'],
    ['channel', 'first_click'],
  ];
  process.stdout.write(`${db.kind}, ${calls} calls on the bench site, ${from}..${to} (30 days), ${RUNS} runs each after ${WARMUP} warm-up\n`);
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
      `${`${groupBy} (${model})`.padEnd(34)} p50 ${pct(50).toFixed(0).padStart(5)} ms  p99 ${pct(99).toFixed(0).padStart(5)} ms  ${rows} rows\n`,
    );
  }
  process.stdout.write(`reports: ${calls} calls, worst p99 ${worst.toFixed(0)} ms\n`);
} finally {
  await db.close();
}
