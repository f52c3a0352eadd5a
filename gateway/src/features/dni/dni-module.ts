import type { FeatureModule } from '../../http/feature-module.js';
import { widgetAsset } from '../../http/widget-asset.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { NumberLeaseService } from '../number-pools/number-lease-service.js';
import { RedisHoldLimits } from '../../adapters/redis/redis-hold-limits.js';
import { DniSessionController } from './dni-session-controller.js';
import { DniSessionService } from './dni-session-service.js';
import { VisitRecorder, createVisitRowMetrics } from './visit-recorder.js';

export interface DniModule extends FeatureModule {
  readonly service: DniSessionService;
  /** The widget's visit rows; `flush()` writes what is queued (server mode writes behind the answers). */
  readonly visitRecorder: VisitRecorder;
}

const SITE_CONFIG_CHANNEL = 'site-config';

/** Dynamic number insertion: the widget bundle and its session, heartbeat and click endpoints (fast path). */
export function createDniModule(infra: Infrastructure, deps: { leases: NumberLeaseService }): DniModule {
  const { config, db, stores, events, clock, logger, registry, fanout } = infra;
  const visitRecorder = new VisitRecorder({
    db: db.knex,
    logger: logger.child({ component: 'dni-visits' }),
    metrics: createVisitRowMetrics(registry),
    // PGlite runs on its own thread, but each batch's rows are built and serialised on this one: 2,000 rows at a
    // time cost PGlite 15–40 % less per row, yet bench:dni's event-loop delay p99 was 89–96 ms with them against
    // 25–31 ms with 200 (quiet sitting, new visitors).
    ...(db.kind === 'pglite' ? { batch: 200 } : {}),
  });
  const service = new DniSessionService({
    recorder: visitRecorder,
    secret: config.encryptionKey,
    sessionsPerMinute: config.dniSessionsPerMinute,
    maxNumbersPerAddress: config.dniMaxNumbersPerAddress,
    // Server mode may run several replicas: the holds are counted where all of them see them.
    ...(infra.redis ? { holds: new RedisHoldLimits(infra.redis) } : {}),
    db: db.knex,
    sites: stores.sites,
    channels: stores.channels,
    pools: stores.pools,
    numbers: stores.numbers,
    leases: deps.leases,
    events,
    clock,
  });
  // Widget answers on every replica follow an admin change at once, not after the site cache's TTL.
  if (fanout)
    for (const e of ['site.changed', 'channel.changed', 'pool.changed'] as const) events.on(e, () => fanout.publish(SITE_CONFIG_CHANNEL, {}));
  return {
    name: 'dni',
    service,
    visitRecorder,
    fastRoutes: new DniSessionController(service, { trustProxy: config.http.trustProxy }).fastRoutes,
    statics: [{ path: '/', handler: widgetAsset().handler }],
    start: async () => {
      await fanout?.subscribe(SITE_CONFIG_CHANNEL, () => service.forgetSites());
    },
    stop: () => visitRecorder.stop(),
  };
}
