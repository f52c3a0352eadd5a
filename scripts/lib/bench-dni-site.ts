/**
 * The site a DNI benchmark drives: one site with one session pool of `poolSize` numbers, written straight into the
 * gateway's database (PostgreSQL, or the embedded PGlite directory while no gateway holds it), then ANALYZE: the
 * PostgreSQL on the bench machines runs without autovacuum, and without statistics the planner picks the wrong index.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { openDatabase } from '../../gateway/src/adapters/db/knex.js';
import { freePort, startGateway, stopProcess } from './gateway-process.js';

export interface BenchSite {
  readonly siteId: string;
  readonly poolId: string;
  readonly siteKey: string;
}

/** A bench site's pool: its size and the pool settings it overrides (e.g. a short hold so leases come back). */
export interface BenchPool {
  readonly size: number;
  readonly settings?: Record<string, unknown>;
}

export async function seedBenchSite(db: Knex, tag: string, poolSize: number, settings: Record<string, unknown> = {}): Promise<BenchSite> {
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
    settings: JSON.stringify(settings),
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

/**
 * Starts the built gateway in `mode` once so it migrates its database, seeds one bench site per name in `sites`
 * there, then starts it again for the runs. Server mode: `pgUrl` (a scratch database) and `redisUrl`; embedded
 * mode: PGlite in `dataDir`, seeded while no gateway holds it. Every child process is pushed onto `children`.
 */
export async function startDniGateway<K extends string>(opts: {
  mode: 'server' | 'embedded';
  dataDir: string;
  pgUrl: string;
  redisUrl: string;
  keyPrefix: string;
  tag: string;
  poolSize: number;
  sites: readonly K[];
  /** Sites whose pool differs from `poolSize` numbers with default settings. */
  pools?: Partial<Record<K, BenchPool>>;
  children: ChildProcess[];
  /** Server mode: GATEWAY_WORKERS. */
  workers?: number;
}): Promise<{ url: string; pid: number; sites: Record<K, BenchSite> }> {
  const port = await freePort();
  const { DATABASE_URL: _d, REDIS_URL: _r, GATEWAY_WORKERS: _w, ...rest } = process.env;
  const workers = opts.mode === 'server' ? (opts.workers ?? 1) : 1;
  const env: NodeJS.ProcessEnv = {
    ...rest,
    ...(opts.mode === 'server' ? { DATABASE_URL: opts.pgUrl, REDIS_URL: opts.redisUrl } : {}),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: opts.dataDir,
    REDIS_KEY_PREFIX: opts.keyPrefix,
    LOG_LEVEL: 'warn',
    DEMO_SEED: 'false',
    // One loopback address drives every visit: no per-address limit here.
    DNI_SESSIONS_PER_MINUTE: '0',
    DNI_MAX_NUMBERS_PER_ADDRESS: '0',
    GATEWAY_WORKERS: String(workers),
  };
  const first = await startGateway({ env, port, readyWithinMs: 300_000 });
  opts.children.push(first);
  await stopProcess(first);
  const sites = {} as Record<K, BenchSite>;
  const seedAll = async (db: Knex): Promise<void> => {
    for (const name of opts.sites) {
      const pool = opts.pools?.[name];
      sites[name] = await seedBenchSite(db, `${opts.tag}_${name}`, pool?.size ?? opts.poolSize, pool?.settings);
    }
  };
  if (opts.mode === 'server') {
    const pg = knexFactory({ client: 'pg', connection: opts.pgUrl, pool: { min: 0, max: 1 } });
    await seedAll(pg).finally(() => pg.destroy());
  } else {
    const db = await openDatabase({ kind: 'pglite', dataDir: path.join(opts.dataDir, 'pgdata'), sameThread: true });
    await seedAll(db.knex).finally(() => db.close());
  }
  const gw = await startGateway({ env, port, readyWithinMs: 300_000, ...(workers > 1 ? { stdio: ['ignore', 'ignore', 'pipe'] } : {}) });
  opts.children.push(gw);
  if (workers > 1) {
    // /readyz answers once the first worker listens; the rest start after it.
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway's ${workers} workers did not all start: ${err}`)), 120_000);
      gw.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
        process.stderr.write(c);
        if (err.includes(`all ${workers} gateway processes are listening`)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
  return { url: `http://127.0.0.1:${port}`, pid: gw.pid ?? 0, sites };
}
