import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createReports } from './create-reports.js';
import { REPORT_FACTS_CATCH_UP } from './report-facts-catch-up.js';

/** Reports by channel and campaign, ad spend import, conversion exports. */
export function createReportsModule(infra: Infrastructure): FeatureModule {
  const { config, db, clock, stores } = infra;
  const { controllers, jobs } = createReports({ db: db.knex, config, clock, stores });
  // The catch-up puts right what two concurrent transactions left stale. The embedded database is one backend whose
  // transactions run one after another, so there it has nothing to correct, while it holds the only connection: over
  // 20,000 sessions it took 54 s (load ~24), long enough for a waiting site-config read to hit the pool's 60 s acquire
  // limit (a 500), and at 1,000 visits/s it would have 600,000 sessions to redo every minute.
  return { name: 'reports', controllers, jobs: db.kind === 'pglite' ? jobs.filter((j) => j.name !== REPORT_FACTS_CATCH_UP) : jobs };
}
