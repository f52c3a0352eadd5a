import type { Infrastructure } from '../../infrastructure.js';
import type { Job } from '../../jobs/scheduler.js';

const DAY_MS = 86_400_000;
const BATCH = 5_000;
/** At most this many rows per run (the next hour takes the rest), so a first run on a large table stays short. */
const MAX_BATCHES = 40;

/**
 * Retention of the outbox: delivered rows older than `retentionDays` go. Pending, delivering, dead and cancelled
 * rows stay (they are work or evidence an admin acts on). Replicas may run it at once: each batch deletes what is
 * still there.
 */
export function createOutboxPruneJob(infra: Pick<Infrastructure, 'db' | 'stores' | 'clock' | 'logger'>, retentionDays: number): Job {
  const { db, stores, clock } = infra;
  const logger = infra.logger.child({ component: 'outbox' });
  return {
    name: 'outbox.prune',
    intervalMs: 3_600_000,
    runAtStart: false,
    async run() {
      const before = new Date(clock.nowMs() - retentionDays * DAY_MS);
      let deleted = 0;
      for (let i = 0; i < MAX_BATCHES; i++) {
        const n = await stores.outbox.pruneDelivered(db.knex, before, BATCH);
        deleted += n;
        if (n < BATCH) break;
      }
      if (deleted) logger.info({ deleted, before: before.toISOString() }, 'delivered outbox rows past retention deleted');
    },
  };
}
