import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { OutboxHandler } from './outbox-handler.js';
import { createOutboxMetrics } from './outbox-metrics.js';
import { OutboxController } from './outbox-controller.js';
import { OutboxService } from './outbox-service.js';
import type { OutboxWake } from './outbox-wake.js';
import { OutboxWorker } from './outbox-worker.js';
import { createOutboxPruneJob } from './outbox-prune-job.js';

export interface OutboxModule extends FeatureModule {
  readonly service: OutboxService;
  readonly worker: OutboxWorker;
}

/**
 * The shared outbox: one worker delivers the rows of every feature that talks to the outside world, each through
 * the handler it registered (`handlers`, one per topic).
 */
export function createOutboxModule(infra: Infrastructure, deps: { handlers: readonly OutboxHandler[]; wake: OutboxWake }): OutboxModule {
  const { config, db, stores, clock, logger, registry, wakeOutbox } = infra;
  const worker = new OutboxWorker(
    {
      db: db.knex,
      store: stores.outbox,
      handlers: [...deps.handlers],
      clock,
      logger: logger.child({ component: 'outbox' }),
      metrics: createOutboxMetrics(registry),
    },
    {
      concurrency: config.outbox.concurrency,
      pollIntervalMs: config.outbox.pollIntervalMs,
      // A lease must outlive a delivery: a few CRM requests, each bounded by the request timeout.
      leaseMs: Math.max(60_000, 4 * config.leads.requestTimeoutMs),
    },
  );
  deps.wake.bind(worker);
  const service = new OutboxService({ db: db.knex, store: stores.outbox, audit: stores.audit, clock, wake: wakeOutbox });
  return {
    name: 'outbox',
    service,
    worker,
    controllers: [new OutboxController(service)],
    jobs: config.outbox.retentionDays > 0 ? [createOutboxPruneJob(infra, config.outbox.retentionDays)] : [],
    started: async () => worker.start(),
    drain: () => worker.stop(Math.floor(config.http.shutdownTimeoutMs / 2)),
  };
}
