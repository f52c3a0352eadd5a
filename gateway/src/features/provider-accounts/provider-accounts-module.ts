import type { TwilioNumbersApi } from '../../adapters/telephony/twilio/twilio-rest.js';
import { createTwilioNumbersApi } from '../../adapters/telephony/twilio/twilio-rest.js';
import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { SecretBox } from '../../shared/secret-box.js';
import type { TwilioCredentialsLookup } from '../recordings/recording-fetcher.js';
import { PgProviderAccountStore } from './provider-account-store.js';

export interface ProviderAccountsModule extends FeatureModule {
  readonly store: PgProviderAccountStore;
  /** Each account's Twilio login; TWILIO_ACCOUNT_SID/TOKEN stand for the default (oldest) account. */
  readonly twilioCredentials: TwilioCredentialsLookup;
  /** One Twilio REST client per login, always through the configured base URL, region and edge. */
  twilioApi(creds: { accountSid: string; authToken: string }): TwilioNumbersApi;
}

/** Provider logins (Twilio) stored per account, sealed with the encryption key. No routes of its own. */
export function createProviderAccountsModule(infra: Infrastructure, deps: { twilioCredentials?: TwilioCredentialsLookup }): ProviderAccountsModule {
  const { config, db, stores } = infra;
  const store = new PgProviderAccountStore(new SecretBox(config.encryptionKey));
  const twilioCredentials: TwilioCredentialsLookup = deps.twilioCredentials ?? {
    forAccount: async (accountId) => {
      const stored = await store.getForAccount(db.knex, accountId, 'twilio');
      if (stored) return { accountSid: stored.externalId, authToken: stored.secret };
      if (!config.twilio) return null;
      return (await stores.accounts.first(db.knex))?.id === accountId ? config.twilio : null;
    },
  };
  return {
    name: 'provider-accounts',
    store,
    twilioCredentials,
    twilioApi: (creds) =>
      createTwilioNumbersApi(creds, { baseUrl: config.twilioApi.baseUrl.href, region: config.twilioApi.region, edge: config.twilioApi.edge }),
  };
}
