import type { Infrastructure } from '../infrastructure.js';
import type { Job } from './scheduler.js';

/** Periodic work that belongs to no feature: upkeep of the shared infrastructure. Features declare their own jobs. */
export function createInfrastructureJobs(infra: Infrastructure): Job[] {
  const { config, db, logger } = infra;
  const jobs: Job[] = [];
  if (db.kind === 'pglite') {
    // PGlite runs no autovacuum worker: without this, hot tables (leases, sessions) only grow.
    jobs.push({
      name: 'embedded-db.vacuum',
      intervalMs: config.dbVacuumIntervalS * 1000,
      run: async () => {
        const started = Date.now();
        await db.knex.raw('VACUUM (ANALYZE)');
        logger.debug({ ms: Date.now() - started }, 'embedded database vacuumed');
      },
    });
  }
  return jobs;
}
