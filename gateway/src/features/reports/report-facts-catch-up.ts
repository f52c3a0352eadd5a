import type { Db } from '../../adapters/db/knex.js';
import type { Job } from '../../jobs/scheduler.js';
import type { Clock } from '../../shared/clock.js';

/** How far back the catch-up recomputes: far longer than any write transaction stays open. */
export const CATCH_UP_WINDOW_MS = 10 * 60_000;
export const REPORT_FACTS_CATCH_UP = 'reports.facts-catch-up';

/**
 * The fact triggers see only committed rows of other transactions: a call and the visit it came from written at the
 * same moment by two transactions can leave the call's facts without the visit. Every minute the facts of the events
 * of the last ten minutes are recomputed (SQL report_facts_catch_up), after those transactions have committed.
 */
export function reportFactsCatchUpJob(deps: { db: Db; clock: Clock }): Job {
  return {
    name: REPORT_FACTS_CATCH_UP,
    intervalMs: 60_000,
    run: async () => {
      await deps.db.raw('SELECT report_facts_catch_up(?) AS n', [new Date(deps.clock.now().getTime() - CATCH_UP_WINDOW_MS)]);
    },
  };
}
