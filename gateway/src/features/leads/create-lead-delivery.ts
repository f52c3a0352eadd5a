import type { Knex } from 'knex';
import { Bitrix24EntityReader } from '../../adapters/crm/bitrix24-entity-reader.js';
import { RetailCrmHistoryReader } from '../../adapters/crm/retailcrm-history-reader.js';
import { CrmSinkFactory } from '../../adapters/crm/create-lead-sink.js';
import { createOutboundGuard } from '../../adapters/http/outbound-guard.js';
import type { OutboundGuard } from '../../adapters/http/outbound-guard.js';
import type { Config } from '../../config.js';
import type { Controller } from '../../http/route.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { SecretBox } from '../../shared/secret-box.js';
import type { AccountStore } from '../accounts/account-store.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { CallChangeHook } from '../calls/call-change-hook.js';
import { PgConversionStore } from '../conversions/conversion-store.js';
import { CrmFeedbackController } from '../crm-sinks/crm-feedback-controller.js';
import { CrmFeedbackService } from '../crm-sinks/crm-feedback-service.js';
import { CrmSinkController } from '../crm-sinks/crm-sink-controller.js';
import { CrmSinkService } from '../crm-sinks/crm-sink-service.js';
import { PgCrmHistoryCursorStore } from '../crm-sinks/crm-history-cursor-store.js';
import { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import { RetailCrmHistoryPoller } from '../crm-sinks/retailcrm-history-poller.js';
import type { Job } from '../../jobs/scheduler.js';
import type { OutboxHandler } from '../outbox/outbox-handler.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import { STANDARD_WEBHOOKS_POLICY } from '../outbox/retry-policy.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { PgCrmLeadStore } from './crm-lead-store.js';
import { PgCustomerLeadStore } from './customer-lead-store.js';
import { LeadAssigner } from './lead-assigner.js';
import { LeadDeliveryHandler } from './lead-delivery-handler.js';
import { LeadOutboxHook } from './lead-outbox-hook.js';
import { LeadReadModel } from './lead-read-model.js';
import type { RecordingLink } from './lead-read-model.js';

export interface LeadDelivery {
  readonly crmSinks: CrmSinkService;
  /** The outbox handler for `crm.lead` rows: register it with the outbox worker. */
  readonly handler: OutboxHandler;
  /** Hand to the call service: it calls it inside the transaction that changes a call. */
  readonly callChangeHook: CallChangeHook;
  readonly controllers: readonly Controller[];
  /** Periodic work of the feature: RetailCRM deal status from the order history. */
  readonly jobs: readonly Job[];
}

/** How often sinks with `statusSync: "history"` read RetailCRM's order history. */
export const RETAILCRM_HISTORY_INTERVAL_MS = 60_000;

/** The leads-to-CRM feature wired from its parts: sinks, the call-change hook, the delivery handler, feedback. */
export function createLeadDelivery(deps: {
  config: Config;
  db: Knex;
  stores: { sites: SiteStore; accounts: AccountStore; audit: AuditLog; outbox: OutboxStore };
  clock: Clock;
  logger: Logger;
  /** Wakes the outbox worker (new rows are due). */
  wake: () => void;
  /** A URL a CRM user can play the recording at without logging in (signed, expiring). */
  recordingLink: RecordingLink;
  /** Refuses CRM URLs on private, loopback and metadata addresses, at save time and on every request. */
  outbound?: OutboundGuard;
}): LeadDelivery {
  const { config, db, clock } = deps;
  const box = new SecretBox(config.encryptionKey);
  const sinks = new PgCrmSinkStore();
  const leads = new PgCrmLeadStore();
  const outbound = deps.outbound ?? createOutboundGuard({ allowedNetworks: config.outboundAllowedNetworks });
  const crmSinks = new CrmSinkService({
    db,
    sinks,
    sites: deps.stores.sites,
    accounts: deps.stores.accounts,
    audit: deps.stores.audit,
    box,
    clock,
    checkUrl: outbound.checkResolved,
  });
  const handler = new LeadDeliveryHandler(
    {
      db,
      sinks,
      leads,
      readModel: new LeadReadModel(deps.recordingLink),
      factory: new CrmSinkFactory({ clock, timeoutMs: config.leads.requestTimeoutMs }),
      box,
      clock,
      logger: deps.logger,
      fetch: outbound.fetch,
    },
    STANDARD_WEBHOOKS_POLICY,
  );
  const customerLeads = new PgCustomerLeadStore();
  const assigner = new LeadAssigner({ leads: customerLeads });
  const callChangeHook = new LeadOutboxHook({ sinks, outbox: deps.stores.outbox, assigner, onEnqueued: deps.wake });
  const feedback = new CrmFeedbackService({
    db,
    sinks,
    leads,
    customerLeads,
    conversions: new PgConversionStore(),
    sites: deps.stores.sites,
    bitrix24: new Bitrix24EntityReader({ timeoutMs: config.leads.requestTimeoutMs, fetch: outbound.fetch }),
    box,
    clock,
  });
  const history = new RetailCrmHistoryPoller({
    db,
    cursors: new PgCrmHistoryCursorStore(),
    reader: new RetailCrmHistoryReader({ timeoutMs: config.leads.requestTimeoutMs, fetch: outbound.fetch }),
    feedback,
    box,
    clock,
    logger: deps.logger,
  });
  const jobs: Job[] = [
    {
      name: 'crm-sinks.retailcrm-history',
      intervalMs: RETAILCRM_HISTORY_INTERVAL_MS,
      run: async () => {
        const n = await history.runOnce();
        if (n) deps.logger.info({ applied: n }, 'deal status taken from the RetailCRM order history');
      },
    },
  ];
  return { crmSinks, handler, callChangeHook, controllers: [new CrmSinkController(crmSinks), new CrmFeedbackController(feedback)], jobs };
}
