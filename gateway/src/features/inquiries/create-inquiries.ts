import type { OutboundGuard } from '../../adapters/http/outbound-guard.js';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Config } from '../../config.js';
import type { Controller } from '../../http/route.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { SecretBox } from '../../shared/secret-box.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import { PgCrmLeadStore } from '../leads/crm-lead-store.js';
import { PgCustomerLeadStore } from '../leads/customer-lead-store.js';
import type { OutboxHandler } from '../outbox/outbox-handler.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { InquiryController } from './inquiry-controller.js';
import { InquiryAwareLeadHandler } from './inquiry-delivery-handler.js';
import { InquiryIntake } from './inquiry-intake.js';
import { InquiryLeadJoiner } from './inquiry-lead-joiner.js';
import { InquiryReadModel } from './inquiry-read-model.js';
import { InquiryService } from './inquiry-service.js';
import { inquiryWidgetAsset } from './inquiry-widget-asset.js';
import { PgInquirySettingsStore } from './inquiry-settings.js';
import { PgInquiryStore } from './inquiry-store.js';

export interface Inquiries {
  readonly service: InquiryService;
  readonly intake: InquiryIntake;
  readonly readModel: InquiryReadModel;
  readonly controllers: readonly Controller[];
  /** Serves /dni-inquiries.js, the optional widget module. */
  readonly widgetAsset: RequestHandler;
  /** The `crm.lead` handler that also delivers inquiries, in order with the calls of their lead. */
  leadHandler(calls: OutboxHandler): OutboxHandler;
}

/** Forms, callback requests and emails: stores, lead joining, intake endpoints, CRM delivery through the outbox. */
export function createInquiries(deps: {
  config: Config;
  db: Knex;
  stores: { sites: SiteStore; audit: AuditLog; outbox: OutboxStore };
  clock: Clock;
  logger: Logger;
  wake: () => void;
  /** Every CRM request goes through it (no private or metadata addresses). */
  outbound: OutboundGuard;
}): Inquiries {
  const { db, clock } = deps;
  const box = new SecretBox(deps.config.encryptionKey);
  const sinks = new PgCrmSinkStore();
  const store = new PgInquiryStore();
  const readModel = new InquiryReadModel();
  const service = new InquiryService({
    db,
    inquiries: store,
    joiner: new InquiryLeadJoiner({ leads: new PgCustomerLeadStore() }),
    sinks,
    outbox: deps.stores.outbox,
    clock,
    logger: deps.logger,
    wake: deps.wake,
  });
  const intake = new InquiryIntake({
    db,
    sites: deps.stores.sites,
    settings: new PgInquirySettingsStore(),
    service,
    audit: deps.stores.audit,
    box,
    clock,
  });
  return {
    service,
    intake,
    readModel,
    controllers: [new InquiryController(intake, readModel, db)],
    widgetAsset: inquiryWidgetAsset(),
    leadHandler: (calls) =>
      new InquiryAwareLeadHandler(calls, {
        db,
        sinks,
        records: new PgCrmLeadStore(),
        readModel,
        box,
        clock,
        timeoutMs: deps.config.leads.requestTimeoutMs,
        fetch: deps.outbound.fetch,
      }),
  };
}
