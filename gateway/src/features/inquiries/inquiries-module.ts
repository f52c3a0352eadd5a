import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createInquiries } from './create-inquiries.js';
import type { Inquiries } from './create-inquiries.js';

export interface InquiriesModule extends FeatureModule {
  readonly inquiries: Inquiries;
}

/** Forms, callback requests and emails as leads: intake endpoints, the form widget, lead joining. */
export function createInquiriesModule(infra: Infrastructure): InquiriesModule {
  const { config, db, stores, clock, logger, outbound, wakeOutbox } = infra;
  const inquiries = createInquiries({
    config,
    db: db.knex,
    stores,
    clock,
    logger: logger.child({ component: 'inquiries' }),
    wake: wakeOutbox,
    outbound,
  });
  return {
    name: 'inquiries',
    inquiries,
    controllers: inquiries.controllers,
    statics: [{ path: '/', handler: inquiries.widgetAsset }],
  };
}
