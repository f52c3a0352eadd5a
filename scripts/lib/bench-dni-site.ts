/**
 * The site a DNI benchmark drives: one site with one session pool of `poolSize` numbers, written straight into the
 * gateway's database (PostgreSQL, or the embedded PGlite directory while no gateway holds it), then ANALYZE: the
 * PostgreSQL on the bench machines runs without autovacuum, and without statistics the planner picks the wrong index.
 */
import type { Knex } from 'knex';

export interface BenchSite {
  readonly siteId: string;
  readonly poolId: string;
  readonly siteKey: string;
}

export async function seedBenchSite(db: Knex, tag: string, poolSize: number): Promise<BenchSite> {
  const site: BenchSite = { siteId: `bench_site_${tag}`, poolId: `bench_pool_${tag}`, siteKey: `bench-${tag}` };
  let account = (await db('accounts').orderBy('created_at').first('id')) as { id: string } | undefined;
  if (!account) {
    account = { id: `bench_account_${tag}` };
    await db('accounts').insert({ id: account.id, name: 'Bench' });
  }
  await db('sites').insert({
    id: site.siteId,
    account_id: account.id,
    name: `Bench ${tag}`,
    public_key: site.siteKey,
    canonical_numbers: JSON.stringify(['+15550000000']),
  });
  await db('pools').insert({
    id: site.poolId,
    account_id: account.id,
    site_id: site.siteId,
    name: 'Bench',
    kind: 'session',
    canonical_number: '+15550000000',
  });
  const area = 100 + Math.floor(Math.random() * 800);
  const rows = Array.from({ length: poolSize }, (_, i) => ({
    id: `bench_n_${tag}_${i}`,
    account_id: account.id,
    site_id: site.siteId,
    pool_id: site.poolId,
    e164: `+4479${area}${String(i).padStart(5, '0')}`,
    provider: 'asterisk',
    status: 'active',
  }));
  for (let i = 0; i < rows.length; i += 500) await db('tracking_numbers').insert(rows.slice(i, i + 500));
  await db.raw('ANALYZE');
  return site;
}
