import type { Knex } from 'knex';
import { webhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { Inquiries } from '../inquiries/create-inquiries.js';
import { PgInquiryStore } from '../inquiries/inquiry-store.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { AsteriskCallbackDialer, TwilioCallbackDialer } from './callback-dialer.js';
import { CallbackService } from './callback-service.js';

/** Callback requests: the dialers the config allows (Twilio's default login, the AMI connection), the due-time job. */
export function createCallbacks(deps: {
  config: Config;
  db: Knex;
  stores: { sites: SiteStore };
  inquiries: Inquiries;
  clock: Clock;
  logger: Logger;
}): CallbackService {
  const { config } = deps;
  const service = new CallbackService({
    db: deps.db,
    inquiries: new PgInquiryStore(),
    sites: deps.stores.sites,
    settingsOf: (site) => deps.inquiries.intake.settingsOf(site),
    dialers: {
      twilio: config.twilio
        ? new TwilioCallbackDialer(config.twilio, {
            statusCallback: webhookUrls(config.http.publicBaseUrl).status,
            api: config.twilioApi,
          })
        : null,
      asterisk: config.asterisk ? new AsteriskCallbackDialer(config.asterisk, deps.logger) : null,
    },
    clock: deps.clock,
    logger: deps.logger,
  });
  deps.inquiries.intake.callbacks = service;
  return service;
}
