import type { Database } from '../adapters/db/knex.js';
import type { RecordingStorage } from '../adapters/storage/recording-storage.js';
import type { RecordingIntake } from '../features/recordings/recording-intake.js';
import type { PgRecordingStore } from '../features/recordings/recording-store.js';
import type { Config } from '../config.js';
import type { SessionStore } from '../features/auth/session-store.js';
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
  ];
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
