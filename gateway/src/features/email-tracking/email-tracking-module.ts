import type { AddressInfo } from 'node:net';
import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { Inquiries } from '../inquiries/create-inquiries.js';
import { createEmailTracking } from './create-email-tracking.js';
import type { EmailTracking } from './create-email-tracking.js';

export interface EmailTrackingModule extends FeatureModule {
  readonly emailTracking: EmailTracking;
  /** Where the SMTP listener took its port (null without one), once started. */
  smtpAddress(): AddressInfo | null;
}

/** Email tracking: inbound mail as leads, forwarded to the business through the outbox. */
export function createEmailTrackingModule(infra: Infrastructure, deps: { inquiries: Inquiries }): EmailTrackingModule {
  const { config, db, stores, clock, logger, wakeOutbox } = infra;
  const emailTracking = createEmailTracking({
    config,
    db: db.knex,
    stores,
    inquiries: deps.inquiries,
    clock,
    logger: logger.child({ component: 'mail' }),
    wake: wakeOutbox,
  });
  let smtpAddress: AddressInfo | null = null;
  return {
    name: 'email-tracking',
    emailTracking,
    smtpAddress: () => smtpAddress,
    controllers: emailTracking.controllers,
    jobs: [
      // Deletes raw inbound mail past its site's retention.
      {
        name: 'inbound-mail.retention',
        intervalMs: 3_600_000,
        runAtStart: true,
        run: async () => void (await emailTracking.rawMailRetention.purge()),
      },
    ],
    started: async () => {
      smtpAddress = await emailTracking.start();
    },
    stop: () => emailTracking.stop(),
  };
}
