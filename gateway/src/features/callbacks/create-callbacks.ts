import type { Knex } from 'knex';
import { webhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { Inquiries } from '../inquiries/create-inquiries.js';
import { PgInquiryStore } from '../inquiries/inquiry-store.js';
import type { TwilioCredentialsLookup } from '../recordings/recording-fetcher.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { CallEventSink } from '../calls/call-events.js';
import { AsteriskCallbackTracker } from './asterisk-callback-tracker.js';
import { AsteriskCallbackDialer, TwilioCallbackDialer } from './callback-dialer.js';
import { CallbackService } from './callback-service.js';

/** Callback requests: the dialers (each account's Twilio login, the AMI connection), the due-time job. */
export function createCallbacks(deps: {
  config: Config;
  db: Knex;
  stores: { sites: SiteStore };
  inquiries: Inquiries;
  /** Each account's own Twilio login (the environment's is the default account's). */
  twilioCredentials: TwilioCredentialsLookup;
  /** Where an Asterisk callback's progress is applied, like an inbound call's events. */
  callEvents: CallEventSink;
  clock: Clock;
  logger: Logger;
}): CallbackService {
  const { config } = deps;
  const store = new PgInquiryStore();
  const tracker = new AsteriskCallbackTracker({
    sink: deps.callEvents,
    outcome: (accountId, inquiryId, callbackOutcome) => store.update(deps.db, accountId, inquiryId, { callbackOutcome }),
    clock: deps.clock,
    logger: deps.logger,
  });
  const service = new CallbackService({
    db: deps.db,
    inquiries: store,
    sites: deps.stores.sites,
    settingsOf: (site) => deps.inquiries.intake.settingsOf(site),
    dialers: {
      twilio: new TwilioCallbackDialer(deps.twilioCredentials, {
        statusCallback: webhookUrls(config.http.publicBaseUrl).status,
        api: config.twilioApi,
      }),
      asterisk: config.asterisk ? new AsteriskCallbackDialer(config.asterisk, deps.logger, tracker) : null,
    },
    clock: deps.clock,
    logger: deps.logger,
  });
  deps.inquiries.intake.callbacks = service;
  return service;
}
