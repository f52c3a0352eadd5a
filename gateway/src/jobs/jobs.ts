import type { Database } from '../adapters/db/knex.js';
import type { RecordingStorage } from '../adapters/storage/recording-storage.js';
import type { RecordingIntake } from '../features/recordings/recording-intake.js';
import type { PgRecordingStore } from '../features/recordings/recording-store.js';
import type { Config } from '../config.js';
import type { SessionStore } from '../features/auth/session-store.js';
import type { NumberLeaseService } from '../features/number-pools/number-lease-service.js';
import type { PoolHealthService } from '../features/number-pools/pool-health-service.js';
import type { TrackingNumberService } from '../features/tracking-numbers/tracking-number-service.js';
import type { RoutingService } from '../features/call-webhooks/routing-service.js';
import type { CallService } from '../features/calls/call-service.js';
import type { StaleCallReconciler } from '../features/calls/stale-call-reconciler.js';
import type { Logger } from '../logging/logger.js';
import type { Clock } from '../shared/clock.js';
import type { Job } from './scheduler.js';

/** Every periodic job of the gateway, with its interval. */
export function createJobs(deps: {
  config: Config;
  db: Database;
  stores: { sessions: SessionStore; recordings: PgRecordingStore };
  clock: Clock;
  logger: Logger;
  recordingIntake: RecordingIntake;
  recordingStorage: RecordingStorage;
  numberPools: { leases: NumberLeaseService; health: PoolHealthService; numbers: TrackingNumberService };
  routing?: RoutingService;
  calls?: CallService;
  staleCalls?: StaleCallReconciler;
  /** Places callback requests whose opening hour has come. */
  callbacks?: { placeDue(): Promise<number> };
  /** Deletes raw inbound mail past its site's retention. */
  rawMailRetention?: { purge(): Promise<number> };
}): Job[] {
  const { leases, health } = deps.numberPools;
  const jobs: Job[] = [
    {
      name: 'console-sessions.cleanup',
      intervalMs: 3_600_000,
      run: async () => {
        const n = await deps.stores.sessions.deleteExpired(deps.db.knex, deps.clock.now());
        if (n) deps.logger.info({ deleted: n }, 'expired console sessions deleted');
      },
    },
    {
      // Durable: the recording rows are the queue; every replica may run this (rows are claimed with SKIP LOCKED).
      name: 'recordings.intake',
      intervalMs: 2_000,
      run: async () => {
        while ((await deps.recordingIntake.runOnce(5)) === 5) {
          // Drain a backlog in batches of five, then wait for the next tick.
        }
      },
    },
    {
      name: 'recordings.retention',
      intervalMs: 3_600_000,
      runAtStart: true,
      run: async () => {
        const expired = await deps.stores.recordings.listExpired(deps.db.knex, deps.clock.now(), 500);
        for (const rec of expired) {
          if (rec.storageKey) await deps.recordingStorage.delete(rec.storageKey);
          await deps.stores.recordings.markDeleted(deps.db.knex, rec.id, deps.clock.now());
        }
        if (expired.length) deps.logger.info({ deleted: expired.length }, 'recordings past their retention deleted (call records kept)');
      },
    },
    {
      // Leases whose hold ran out without a new request in their pool end here (requests also end them lazily).
      name: 'number-pools.sweep',
      intervalMs: 15_000,
      runAtStart: true,
      run: async () => {
        const n = await leases.sweepAll();
        if (n) deps.logger.debug({ ended: n }, 'expired number leases ended');
      },
    },
    {
      // Heals the live lease state if a pool change could not reach it (Redis briefly down during an admin change).
      name: 'number-pools.resync',
      intervalMs: 600_000,
      run: () => leases.syncAll(),
    },
    {
      // Quarantined numbers come back into rotation when their cooling-down period is over.
      name: 'tracking-numbers.quarantine-end',
      intervalMs: 3_600_000,
      runAtStart: true,
      run: async () => {
        const n = await deps.numberPools.numbers.endExpiredQuarantines();
        if (n) deps.logger.info({ numbers: n }, 'quarantine over: numbers back in rotation');
      },
    },
    {
      name: 'number-pools.health-sample',
      intervalMs: 60_000,
      run: async () => {
        await health.sample();
      },
    },
  ];
  if (deps.config.redis) {
    // Redis mode: lease history waits in per-pool streams until this moves it to SQL (docs/number-pools.md).
    jobs.push({
      name: 'number-pools.flush-history',
      intervalMs: deps.config.leaseHistoryFlushMs,
      runAtStart: true,
      run: async () => {
        await leases.flushHistory();
      },
    });
  }
  if (deps.routing) {
    const routing = deps.routing;
    // Changes are pushed as they happen; this catches any writer that did not announce its change.
    jobs.push({ name: 'routing-table.refresh', intervalMs: 60_000, run: async () => void (await routing.refresh()) });
  }
  if (deps.calls) {
    const calls = deps.calls;
    jobs.push({
      name: 'call-events.purge-orphans',
      intervalMs: 6 * 3_600_000,
      run: async () => {
        const n = await calls.purgeOrphanEvents(7 * 86_400_000);
        if (n) deps.logger.warn({ deleted: n }, 'call events whose call never appeared were dropped');
      },
    });
  }
  if (deps.staleCalls) {
    const staleCalls = deps.staleCalls;
    // Calls whose final callbacks were lost (a restart, an AMI outage) are closed from the provider's own state.
    jobs.push({ name: 'calls.reconcile-stale', intervalMs: 300_000, runAtStart: true, run: async () => void (await staleCalls.runOnce()) });
  }
  if (deps.callbacks) {
    const callbacks = deps.callbacks;
    // Queued requests carry their due time; a minute late at most after the business opens.
    jobs.push({ name: 'callbacks.place-due', intervalMs: 30_000, run: async () => void (await callbacks.placeDue()) });
  }
  if (deps.rawMailRetention) {
    const retention = deps.rawMailRetention;
    jobs.push({ name: 'inbound-mail.retention', intervalMs: 3_600_000, runAtStart: true, run: async () => void (await retention.purge()) });
  }
  if (deps.db.kind === 'pglite') {
    // PGlite runs no autovacuum worker: without this, hot tables (leases, sessions) only grow.
    jobs.push({
      name: 'embedded-db.vacuum',
      intervalMs: deps.config.dbVacuumIntervalS * 1000,
      run: async () => {
        const started = Date.now();
        await deps.db.knex.raw('VACUUM (ANALYZE)');
        deps.logger.debug({ ms: Date.now() - started }, 'embedded database vacuumed');
      },
    });
  }
  return jobs;
}
