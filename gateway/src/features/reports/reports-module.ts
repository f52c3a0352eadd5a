import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createReports } from './create-reports.js';
import { REPORT_FACTS_CATCH_UP } from './report-facts-catch-up.js';

/** Reports by channel and campaign, ad spend import, conversion exports. */
export function createReportsModule(infra: Infrastructure): FeatureModule {
  const { config, db, clock, stores } = infra;
  const { controllers, jobs } = createReports({ db: db.knex, config, clock, stores });
  // The catch-up puts right what two concurrent transactions left stale. The embedded database is one backend whose
  // transactions run one after another, so there it has nothing to correct, while recomputing ten minutes of visits
  // every minute (600,000 sessions at 1,000/s, ~0.2-0.5 ms of PGlite each) was more than PGlite can do: it held the
  // only connection for minutes and the visit queue overflowed.
  return { name: 'reports', controllers, jobs: db.kind === 'pglite' ? jobs.filter((j) => j.name !== REPORT_FACTS_CATCH_UP) : jobs };
}
