import { hostname } from 'node:os';
import { SqlNumberLeaseStore } from '../../adapters/db/sql-number-lease-store.js';
import { memoryLeaseStore } from '../../adapters/memory/create-memory-lease-store.js';
import { RedisNumberLeaseStore } from '../../adapters/redis/redis-number-lease-store.js';
import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { Job } from '../../jobs/scheduler.js';
import { LeaseHistoryReadModel } from './lease-history-read-model.js';
import { NumberHolderService } from './number-holder-service.js';
import { NumberLeaseController } from './number-lease-controller.js';
import { NumberLeaseService } from './number-lease-service.js';
import type { NumberLeaseStore } from './number-lease-store-type.js';
import { FailSoftLeaseStore } from './fail-soft-lease-store.js';
import { PoolController } from './pool-controller.js';
import { PoolHealthReadModel } from './pool-health-read-model.js';
import { PoolHealthService } from './pool-health-service.js';
import { createPoolMetrics } from './pool-metrics.js';
import { PoolService } from './pool-service.js';

export interface NumberPoolsModule extends FeatureModule {
  readonly pools: PoolService;
  readonly leases: NumberLeaseService;
  readonly health: PoolHealthService;
}

/** Number pools and the lease engine: who holds which tracking number, pool health, lease history. */
export function createNumberPoolsModule(infra: Infrastructure): NumberPoolsModule {
  const { config, db, redis, stores, events, clock, logger, registry, cleanup } = infra;
  const pools = new PoolService({ db: db.knex, pools: stores.pools, sites: stores.sites, channels: stores.channels, audit: stores.audit, events });
  // Two runtime modes: leases in Redis when it is configured, else in SQL (same tables, same contract); on the
  // embedded database, which exactly one process owns, in memory with write-behind to those tables.
  const leaseStore: NumberLeaseStore = redis
    ? new FailSoftLeaseStore(
        // The workers of one host's cluster read the history streams as consumers of their own: a consumer's pending
        // entries are re-read by the process of that name after a restart.
        new RedisNumberLeaseStore(redis, db.knex, logger.child({ component: 'lease-history' }), {
          consumer: config.workers.index ? `${hostname()}#${config.workers.index}` : hostname(),
        }),
        {
          registry,
          logger: logger.child({ component: 'leases' }),
        },
      )
    : db.kind === 'pglite'
      ? memoryLeaseStore(db.knex, logger.child({ component: 'lease-state' }), cleanup)
      : new SqlNumberLeaseStore(db.knex);
  const poolMetrics = createPoolMetrics(registry);
  const leases = new NumberLeaseService({
    db: db.knex,
    pools: stores.pools,
    numbers: stores.numbers,
    leases: leaseStore,
    metrics: poolMetrics,
    clock,
    logger: logger.child({ component: 'leases' }),
  });
  events.on('pool.changed', ({ accountId, poolId }) => leases.syncPool(accountId, poolId));
  // Redis back after an outage (perhaps empty): pools' numbers are in it again before the next widget request.
  redis?.onRestored(() => void leases.syncAll().catch((err: unknown) => logger.warn({ err }, 'lease state rebuild failed')));
  const health = new PoolHealthService({
    db: db.knex,
    pools,
    poolStore: stores.pools,
    numbers: stores.numbers,
    leases,
    readModel: new PoolHealthReadModel(),
    metrics: poolMetrics,
    clock,
  });
  const jobs: Job[] = [
    {
      // Leases whose hold ran out without a new request in their pool end here (requests also end them lazily).
      name: 'number-pools.sweep',
      intervalMs: 15_000,
      runAtStart: true,
      run: async () => {
        const n = await leases.sweepAll();
        if (n) logger.debug({ ended: n }, 'expired number leases ended');
      },
    },
    {
      // Heals the live lease state if a pool change could not reach it (Redis briefly down during an admin change).
      name: 'number-pools.resync',
      intervalMs: 600_000,
      run: () => leases.syncAll(),
    },
    {
      name: 'number-pools.health-sample',
      intervalMs: 60_000,
      run: async () => {
        await health.sample();
      },
    },
  ];
  if (config.redis) {
    // Redis mode: lease history waits in per-pool streams until this moves it to SQL (docs/number-pools.md).
    jobs.push({
      name: 'number-pools.flush-history',
      intervalMs: config.leaseHistoryFlushMs,
      runAtStart: true,
      run: async () => {
        await leases.flushHistory();
      },
    });
  }
  return {
    name: 'number-pools',
    pools,
    leases,
    health,
    controllers: [
      new PoolController(pools, health),
      new NumberLeaseController(new NumberHolderService({ db: db.knex, leases, history: new LeaseHistoryReadModel(), pools: stores.pools }), clock),
    ],
    jobs,
    // The live lease state may be behind SQL (Redis restarted or emptied, numbers changed while down).
    start: () => leases.syncAll(),
    // Lease history still in the Redis streams goes to SQL now rather than at the next start.
    stop: async () => {
      await leases.flushHistory().catch((err: unknown) => logger.warn({ err }, 'final lease history flush failed'));
    },
  };
}
