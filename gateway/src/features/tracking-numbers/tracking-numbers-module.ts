import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { TrackingNumberController } from './tracking-number-controller.js';
import { TrackingNumberService } from './tracking-number-service.js';

export interface TrackingNumbersModule extends FeatureModule {
  readonly service: TrackingNumberService;
}

/** Tracking numbers: their pool or channel, forwarding, status and quarantine. */
export function createTrackingNumbersModule(infra: Infrastructure): TrackingNumbersModule {
  const { db, stores, events, clock, logger } = infra;
  const service = new TrackingNumberService({
    db: db.knex,
    numbers: stores.numbers,
    pools: stores.pools,
    sites: stores.sites,
    audit: stores.audit,
    events,
    clock,
  });
  return {
    name: 'tracking-numbers',
    service,
    controllers: [new TrackingNumberController(service)],
    jobs: [
      {
        // Quarantined numbers come back into rotation when their cooling-down period is over.
        name: 'tracking-numbers.quarantine-end',
        intervalMs: 3_600_000,
        runAtStart: true,
        run: async () => {
          const n = await service.endExpiredQuarantines();
          if (n) logger.info({ numbers: n }, 'quarantine over: numbers back in rotation');
        },
      },
    ],
  };
}
