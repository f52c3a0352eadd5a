import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Clock } from '../../shared/clock.js';
import type { PoolService } from '../number-pools/pool-service.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { PoolAccuracyController } from './pool-accuracy-controller.js';
import { PoolAccuracyReadModel } from './pool-accuracy-read-model.js';

/** The pool accuracy report, wired from its dependencies (one line in the composition root). */
export function createPoolAccuracy(deps: { db: DbOrTrx; pools: PoolService; sites: SiteStore; clock: Clock }) {
  return { controllers: [new PoolAccuracyController({ ...deps, readModel: new PoolAccuracyReadModel() })] };
}
