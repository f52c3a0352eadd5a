import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { CallChangeHook } from '../calls/call-change-hook.js';
import { createCrmSinkTestFeature } from '../crm-sinks/crm-sink-test.js';
import type { CrmSinkService } from '../crm-sinks/crm-sink-service.js';
import type { OutboxHandler } from '../outbox/outbox-handler.js';
import { createLeadDelivery } from './create-lead-delivery.js';
import type { RecordingLink } from './lead-read-model.js';

export interface LeadsModule extends FeatureModule {
  readonly crmSinks: CrmSinkService;
  /** The `crm.lead` outbox handler (wrapped by the inquiries module, registered with the outbox worker). */
  readonly handler: OutboxHandler;
  /** Queues the leads inside the transaction that changes a call (calls and recordings call it). */
  readonly callChangeHook: CallChangeHook;
}

/** Leads to CRMs: sinks, the call-change hook, delivery through the outbox, CRM feedback, sink tests. */
export function createLeadsModule(infra: Infrastructure, deps: { recordingLink: RecordingLink }): LeadsModule {
  const { config, db, stores, clock, logger, outbound, wakeOutbox } = infra;
  const leads = createLeadDelivery({
    outbound,
    config,
    db: db.knex,
    stores,
    clock,
    logger: logger.child({ component: 'crm' }),
    wake: wakeOutbox,
    recordingLink: deps.recordingLink,
  });
  return {
    name: 'leads',
    crmSinks: leads.crmSinks,
    handler: leads.handler,
    callChangeHook: leads.callChangeHook,
    controllers: [
      ...leads.controllers,
      ...createCrmSinkTestFeature({ db: db.knex, outbox: stores.outbox, audit: stores.audit, wake: wakeOutbox }).controllers,
    ],
    // RetailCRM deal statuses read from its order history, for sinks set to poll it.
    jobs: leads.jobs,
    // After bootstrap: the env webhook sink belongs to the default account, which exists by now.
    started: async () => {
      await leads.crmSinks.ensureEnvWebhookSink(config.leads.webhook);
    },
  };
}
