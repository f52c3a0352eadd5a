import type { TwilioNumbersApi } from '../../adapters/telephony/twilio/twilio-rest.js';
import { webhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { PgProviderAccountStore } from '../provider-accounts/provider-account-store.js';
import { TwilioNumberController } from './twilio-number-controller.js';
import { TwilioNumberService } from './twilio-number-service.js';
import { PgTwilioNumberStore } from './twilio-number-store.js';

export interface TwilioNumbersModule extends FeatureModule {
  readonly service: TwilioNumberService;
}

/** The account's Twilio login and numbers: search, buy, release, webhooks pointed at the gateway. */
export function createTwilioNumbersModule(
  infra: Infrastructure,
  deps: { providerAccounts: PgProviderAccountStore; twilioApi: (creds: { accountSid: string; authToken: string }) => TwilioNumbersApi },
): TwilioNumbersModule {
  const { config, db, stores, events, logger } = infra;
  const service = new TwilioNumberService({
    db: db.knex,
    numbers: new PgTwilioNumberStore(),
    providerAccounts: deps.providerAccounts,
    audit: stores.audit,
    bus: events,
    logger: logger.child({ component: 'twilio-numbers' }),
    urls: webhookUrls(config.http.publicBaseUrl),
    defaultTwilio: config.twilio,
    voiceFallbackUrl: config.twilioVoiceFallbackUrl,
    api: deps.twilioApi,
  });
  return { name: 'twilio-numbers', service, controllers: [new TwilioNumberController(service)] };
}
