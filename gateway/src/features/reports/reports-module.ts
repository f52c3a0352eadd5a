import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createReports } from './create-reports.js';

/** Reports by channel and campaign, ad spend import, conversion exports. */
export function createReportsModule(infra: Infrastructure): FeatureModule {
  const { config, db, clock, stores } = infra;
  const { controllers, jobs } = createReports({ db: db.knex, config, clock, stores });
  return { name: 'reports', controllers, jobs };
}
