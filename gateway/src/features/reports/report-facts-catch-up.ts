import type { Db } from '../../adapters/db/knex.js';
import type { Job } from '../../jobs/scheduler.js';
import type { Clock } from '../../shared/clock.js';

/** How far back the catch-up recomputes: far longer than any write transaction stays open. */
export const CATCH_UP_WINDOW_MS = 10 * 60_000;
export const REPORT_FACTS_CATCH_UP = 'reports.facts-catch-up';

/**
 * The fact triggers see only committed rows of other transactions: a call and the visit it came from written at the
 * same moment by two transactions can leave the call's facts without the visit. Every minute the facts of the events
 * of the last ten minutes are recomputed (SQL report_facts_catch_up), after those transactions have committed; after
 * the first run only those written by transactions that had not finished when the previous run took its snapshot
 * (its xmin, the watermark): the others the previous run already saw. A new process starts with the whole window.
 */
export function reportFactsCatchUpJob(deps: { db: Db; clock: Clock }): Job {
  let writtenFrom: string | null = null;
  return {
    name: REPORT_FACTS_CATCH_UP,
    intervalMs: 60_000,
    run: async () => {
      // The watermark comes from the statement's own snapshot, the earliest of the run: every transaction below its
      // xmin had finished before any of the run's reads.
      const r = (await deps.db.raw('SELECT report_facts_catch_up(?, ?::xid8) AS n, pg_snapshot_xmin(pg_current_snapshot())::text AS next', [
        new Date(deps.clock.now().getTime() - CATCH_UP_WINDOW_MS),
        writtenFrom,
      ])) as { rows: { n: number; next: string }[] };
      writtenFrom = r.rows[0]!.next;
    },
  };
}
