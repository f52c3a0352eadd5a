import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { PoolService } from '../number-pools/pool-service.js';
import { createPoolAccuracy } from './create-pool-accuracy.js';

/** How well each pool's size lets calls be matched to visits. */
export function createPoolAccuracyModule(infra: Infrastructure, deps: { pools: PoolService }): FeatureModule {
  const { db, stores, clock } = infra;
  return { name: 'pool-accuracy', ...createPoolAccuracy({ db: db.knex, pools: deps.pools, sites: stores.sites, clock }) };
}
