import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { AttributionReadModel } from '../attribution/attribution-read-model.js';
import type { LiveLeaseLookup } from '../attribution/attribution-types.js';
import { BlockedCallerService } from './blocked-caller-service.js';
import { PgBlockedCallerStore } from './blocked-caller-store.js';
import type { CallChangeHook } from './call-change-hook.js';
import { CallController } from './call-controller.js';
import { PgCallEventStore } from './call-event-store.js';
import { CallReadModel } from './call-read-model.js';
import { CallService } from './call-service.js';
import { PgCallStore } from './call-store.js';
import { PgRecordingRefStore } from './recording-ref-store.js';

export interface CallsModule extends FeatureModule {
  readonly service: CallService;
  readonly store: PgCallStore;
}

/** Calls: applying provider events, attribution to visits, the call log, blocked callers. */
export function createCallsModule(
  infra: Infrastructure,
  deps: {
    /** Who holds a tracking number right now (the lease engine). */
    liveLeases: LiveLeaseLookup;
    /** Run inside the transaction that changes a call (the leads outbox first). */
    hooks: readonly CallChangeHook[];
  },
): CallsModule {
  const { db, stores, events, clock, logger } = infra;
  const store = new PgCallStore();
  const blocked = new PgBlockedCallerStore();
  const service = new CallService({
    db: db.knex,
    calls: store,
    events: new PgCallEventStore(),
    recordings: new PgRecordingRefStore(),
    blocked,
    audit: stores.audit,
    readModel: new CallReadModel(),
    // Step 1 of matching asks the live lease state: history reaches SQL behind the hot path.
    attribution: new AttributionReadModel(deps.liveLeases),
    hooks: [...deps.hooks],
    bus: events,
    clock,
    logger: logger.child({ component: 'calls' }),
  });
  return {
    name: 'calls',
    service,
    store,
    controllers: [new CallController(service, new BlockedCallerService({ db: db.knex, blocked, audit: stores.audit, bus: events }))],
    jobs: [
      {
        name: 'call-events.purge-orphans',
        intervalMs: 6 * 3_600_000,
        run: async () => {
          const n = await service.purgeOrphanEvents(7 * 86_400_000);
          if (n) logger.warn({ deleted: n }, 'call events whose call never appeared were dropped');
        },
      },
    ],
  };
}
