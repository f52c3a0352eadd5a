import type { Knex } from 'knex';

/**
 * A large, deterministic analytics data set built inside the database with generate_series (no row crosses the
 * wire): visitors, two web sessions per call, calls with answer/talk/first-time spread, leads with won deals, and a
 * year of daily spend. Values come from multiplicative hashes of the row number, so two runs build the same data.
 */

export const BENCH_SITE_KEY = 'analytics-bench';
export const BENCH_DAYS = 365;
/** The last seeded day; the data set ends here so the benchmark's 30-day window is always full. */
export const BENCH_END = '2026-11-30';

const PROFILES = [
  // source, medium, channel index, click id
  ['google', 'cpc', 0, 'gclid'],
  ['yandex', 'cpc', 1, 'yclid'],
  ['vk', 'paid_social', 2, null],
  ['(direct)', '(none)', 3, null],
  ['google', 'organic', 4, null],
  ['facebook', 'social', 5, null],
  ['newsletter', 'email', 6, null],
  ['blog.example', 'referral', 7, null],
] as const;
const CHANNELS = ['Google Ads', 'Yandex Direct', 'VK Ads', 'Direct', 'Organic search', 'Social', 'Email', 'Referral'];
const KINDS = ['paid_search', 'paid_search', 'paid_social', 'direct', 'organic_search', 'social', 'email', 'referral'];
const UAS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15',
];

export type SeedProgress = (stage: string, done: number, total: number) => void;

const BATCH = 50_000;

/**
 * Each batch in its own transaction with the report fact triggers off (calltrack.report_facts): maintaining facts
 * row batch by row batch would recompute every visitor's later events again and again; the facts are rebuilt for the
 * whole site at the end, in one pass (report_facts_rebuild_site, the same function the migration's backfill uses).
 */
async function inBatches(
  knex: Knex,
  total: number,
  stage: string,
  progress: SeedProgress,
  run: (trx: Knex.Transaction, lo: number, hi: number) => Promise<unknown>,
): Promise<void> {
  for (let lo = 1; lo <= total; lo += BATCH) {
    const hi = Math.min(total, lo + BATCH - 1);
    await knex.transaction(async (trx) => {
      await factsOff(trx);
      await run(trx, lo, hi);
    });
    progress(stage, hi, total);
  }
}

const factsOff = (trx: Knex.Transaction) => trx.raw(`SELECT set_config('calltrack.report_facts', 'off', true)`);

export async function seedAnalytics(knex: Knex, o: { calls: number; progress: SeedProgress }): Promise<{ siteId: string; accountId: string }> {
  const calls = o.calls;
  const sessions = calls * 2;
  const visitors = Math.max(1, Math.floor(calls * 0.8));
  const callers = Math.max(1, Math.floor(calls * 0.7));
  let account = (await knex('accounts').orderBy('created_at').first('id')) as { id: string } | undefined;
  if (!account) {
    account = { id: 'bench-account' };
    await knex('accounts').insert({ id: account.id, name: 'Bench' });
  }
  const accountId = account.id;
  const old = (await knex('sites').where({ public_key: BENCH_SITE_KEY }).first('id')) as { id: string } | undefined;
  if (old) {
    o.progress('removing the previous bench data', 0, 1);
    await knex.transaction(async (trx) => {
      await factsOff(trx);
      await trx.raw('DELETE FROM calls WHERE site_id = ?', [old.id]);
      await trx.raw('DELETE FROM leads WHERE site_id = ?', [old.id]);
      await trx.raw('DELETE FROM report_call_facts WHERE site_id = ?', [old.id]);
      await trx.raw('DELETE FROM report_session_facts WHERE site_id = ?', [old.id]);
      await trx('sites').where({ id: old.id }).del();
    });
    o.progress('removing the previous bench data', 1, 1);
  }
  const siteId = 'bench-site';
  await knex('sites').insert({
    id: siteId,
    account_id: accountId,
    name: 'Analytics bench',
    public_key: BENCH_SITE_KEY,
    timezone: 'Europe/Moscow',
    settings: JSON.stringify({ currency: 'RUB' }),
  });
  await knex('channels').insert(CHANNELS.map((name, i) => ({ id: `bench-ch-${i}`, account_id: accountId, site_id: siteId, name, kind: KINDS[i] })));
  const profiles = `(VALUES ${PROFILES.map(([s, m, c, k], i) => `(${i}, '${s}', '${m}', 'bench-ch-${c}', ${k ? `'${k}'` : 'NULL'})`).join(', ')}) AS p (n, source, medium, channel_id, click)`;
  const uas = `ARRAY[${UAS.map((u) => `'${u}'`).join(', ')}]`;
  const start = `(CAST('${BENCH_END}' AS date) - ${BENCH_DAYS - 1})::timestamp AT TIME ZONE 'Europe/Moscow'`;
  const span = BENCH_DAYS * 86_400;

  await inBatches(knex, visitors, 'visitors', o.progress, (trx, lo, hi) =>
    trx.raw(
      `INSERT INTO visitors (id, account_id, site_id, first_seen_at, last_seen_at)
       SELECT 'bv' || g, ?, ?, ${start}, ${start} FROM generate_series(?::int, ?::int) g`,
      [accountId, siteId, lo, hi],
    ),
  );
  // Session g happens at an even spread over the year plus a hashed jitter; its visitor is a hash of g.
  await inBatches(knex, sessions, 'web sessions', o.progress, (trx, lo, hi) =>
    trx.raw(
      `INSERT INTO web_sessions (id, account_id, site_id, visitor_id, channel_id, landing_url, referrer, source, medium,
         utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_ids, device, first_seen_at, last_seen_at)
       SELECT 'bs' || g, ?, ?, 'bv' || (1 + (g::bigint * 7919) % ${visitors}), p.channel_id,
         'https://shop.example/p' || (g % 25) || CASE WHEN p.click IS NULL THEN '' ELSE chr(63) || p.click || '=c' || g END, NULL,
         p.source, p.medium,
         CASE WHEN p.n IN (3, 4, 5, 7) THEN NULL ELSE p.source END, CASE WHEN p.n IN (3, 4, 5, 7) THEN NULL ELSE p.medium END,
         CASE WHEN p.n IN (3, 4, 5, 7) THEN NULL ELSE 'campaign_' || (g % 40) END,
         CASE WHEN p.n IN (0, 1) THEN 'keyword ' || (g % 200) ELSE NULL END, NULL,
         CASE WHEN p.click IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(p.click, 'c' || g) END,
         jsonb_build_object('ua', (${uas})[1 + (g % 3)]),
         ${start} + make_interval(secs => (g::bigint * ${span}) / ${sessions} + (g::bigint * 2654435761) % 3600),
         ${start} + make_interval(secs => (g::bigint * ${span}) / ${sessions} + (g::bigint * 2654435761) % 3600 + 300)
       FROM generate_series(?::int, ?::int) g JOIN ${profiles} ON p.n = (g::bigint * 40503) % 8`,
      [accountId, siteId, lo, hi],
    ),
  );
  // Call g comes from session 2g or 2g - 1 (half the sessions call), a minute after it began. Four calls in five
  // open a lead (written first, so each call names its lead as it is inserted); one lead in seven is won.
  const caller = `'+7916' || lpad((1 + (g::bigint * 104729) % ${callers})::text, 7, '0')`;
  const callAt = `s.first_seen_at + interval '60 seconds'`;
  const sessionOf = `JOIN web_sessions s ON s.id = 'bs' || (2 * g - g % 2)`;
  await inBatches(knex, calls, 'leads', o.progress, (trx, lo, hi) =>
    trx.raw(
      `INSERT INTO leads (id, account_id, site_id, contact, kind, first_inquiry_id, started_at, last_inquiry_at, channel_id,
         session_id, visitor_id, status, amount, currency, status_changed_at)
       SELECT 'bl' || g, ?, ?, ${caller}, 'call', 'bc' || g, ${callAt}, ${callAt}, s.channel_id, s.id, s.visitor_id,
         CASE WHEN g % 7 = 0 THEN 'won' WHEN g % 11 = 0 THEN 'lost' ELSE 'open' END,
         CASE WHEN g % 7 = 0 THEN (g % 100) * 100 + 500 END, CASE WHEN g % 7 = 0 THEN 'RUB' END,
         ${callAt} + interval '3 days'
       FROM generate_series(?::int, ?::int) g ${sessionOf}
       WHERE g % 5 <> 0`,
      [accountId, siteId, lo, hi],
    ),
  );
  await inBatches(knex, calls, 'calls', o.progress, (trx, lo, hi) =>
    trx.raw(
      `INSERT INTO calls (id, account_id, site_id, provider, provider_call_id, tracking_e164, caller, status, outcome,
         started_at, answered_at, ended_at, ring_seconds, talk_seconds, session_id, visitor_id, channel_id, attribution,
         first_time_caller, lead_id)
       SELECT 'bc' || g, ?, ?, 'twilio', 'CAbench' || g, '+7495111' || lpad((g % 20)::text, 4, '0'), ${caller}, 'ended',
         CASE WHEN g % 4 = 0 THEN 'no-answer' ELSE 'completed' END,
         ${callAt},
         CASE WHEN g % 4 = 0 THEN NULL ELSE ${callAt} + make_interval(secs => g % 30) END,
         ${callAt} + make_interval(secs => g % 30 + (g::bigint * 37) % 300),
         g % 30, CASE WHEN g % 4 = 0 THEN 0 ELSE (g::bigint * 37) % 300 END,
         s.id, s.visitor_id, s.channel_id, '{"method": "lease"}'::jsonb, g % 3 <> 0,
         CASE WHEN g % 5 <> 0 THEN 'bl' || g END
       FROM generate_series(?::int, ?::int) g ${sessionOf}`,
      [accountId, siteId, lo, hi],
    ),
  );
  // Daily spend per paid channel, campaign and day.
  o.progress('spend', 0, 1);
  await knex.raw(
    `INSERT INTO ad_spend (id, account_id, site_id, spend_date, utm_source, utm_medium, utm_campaign, source, medium, channel_id,
       amount, currency, clicks, import_format)
     SELECT 'bsp-' || p.n || '-' || d || '-' || k, ?, ?, CAST('${BENCH_END}' AS date) - d, p.source, p.medium, 'campaign_' || k,
       p.source, p.medium, p.channel_id, 100 + (d * 7 + k * 13) % 900, 'RUB', 10 + (d + k) % 50, 'yandex-metrica'
     FROM generate_series(0, ${BENCH_DAYS - 1}) d CROSS JOIN generate_series(0, 39) k JOIN ${profiles} ON p.n IN (0, 1, 2)`,
    [accountId, siteId],
  );
  o.progress('spend', 1, 1);
  o.progress('ANALYZE', 0, 1);
  // The server runs with autovacuum off: fresh statistics are what the planner has to go on (also for the rebuild).
  for (const t of ['visitors', 'web_sessions', 'calls', 'leads', 'ad_spend']) await knex.raw(`ANALYZE ${t}`);
  o.progress('ANALYZE', 1, 1);
  o.progress('report facts', 0, 1);
  await knex.raw('SELECT report_facts_rebuild_site(?)', [siteId]);
  o.progress('report facts', 1, 1);
  o.progress('ANALYZE', 0, 1);
  for (const t of ['report_call_facts', 'report_session_facts']) await knex.raw(`ANALYZE ${t}`);
  o.progress('ANALYZE', 1, 1);
  return { siteId, accountId };
}
