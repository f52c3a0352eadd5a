import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { PoolHealthService } from '../number-pools/pool-health-service.js';
import type { PoolService } from '../number-pools/pool-service.js';
import type { TrackingNumberService } from '../tracking-numbers/tracking-number-service.js';
import type { TwilioNumberService } from '../twilio-numbers/twilio-number-service.js';
import { createPoolAutoscale } from './create-pool-autoscale.js';

/** Pool autoscaling: buys Twilio numbers into a pool and retires surplus ones (opt-in per pool). */
export function createPoolAutoscaleModule(
  infra: Infrastructure,
  deps: { pools: PoolService; health: PoolHealthService; numbers: TrackingNumberService; twilio: TwilioNumberService },
): FeatureModule {
  const { db, stores, clock, logger } = infra;
  const { controllers, jobs } = createPoolAutoscale({
    db: db.knex,
    pools: deps.pools,
    poolStore: stores.pools,
    health: deps.health,
    numbers: deps.numbers,
    twilio: deps.twilio,
    clock,
    logger: logger.child({ component: 'pool-autoscale' }),
  });
  return { name: 'pool-autoscale', controllers, jobs };
}
