import type { Database } from '../adapters/db/knex.js';
import type { Config } from '../config.js';
import type { SessionStore } from '../features/auth/session-store.js';
import type { Logger } from '../logging/logger.js';
import type { Clock } from '../shared/clock.js';
import type { Job } from './scheduler.js';
import type { RoutingService } from '../features/call-webhooks/routing-service.js';
import type { CallService } from '../features/calls/call-service.js';

/** Every periodic job of the gateway, with its interval. */
export function createJobs(deps: {
  config: Config;
  db: Database;
  stores: { sessions: SessionStore };
  clock: Clock;
  logger: Logger;
  routing?: RoutingService;
  calls?: CallService;
}): Job[] {
  const jobs: Job[] = [
    {
      name: 'console-sessions.cleanup',
      intervalMs: 3_600_000,
      run: async () => {
        const n = await deps.stores.sessions.deleteExpired(deps.db.knex, deps.clock.now());
        if (n) deps.logger.info({ deleted: n }, 'expired console sessions deleted');
      },
    },
  ];
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
