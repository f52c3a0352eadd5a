import { createHmac } from 'node:crypto';
import type { Db } from '../adapters/db/knex.js';
import { API_KEY_PREFIX, displayPrefix, hashToken } from '../features/auth/tokens.js';
import { PgProviderAccountStore } from '../features/provider-accounts/provider-account-store.js';
import { newId } from '../shared/ids.js';
import { SecretBox } from '../shared/secret-box.js';

/**
 * Credentials of the demo install, so `npm run simulate-call` works against a plain `npm start` with no Twilio
 * account: a Twilio login stored for the demo account (webhooks signed with it pass the same HMAC-SHA1 check as a
 * real one; real accounts keep their own tokens) and a PBX API key that can only upload recordings. Both are derived
 * from the install's ENCRYPTION_KEY (DATA_DIR/encryption.key), so the simulator on the same machine can compute
 * them and nobody without that key can. Created only where the demo is seeded (DEMO_SEED, not in production).
 */
export interface DemoCredentials {
  readonly twilio: { readonly accountSid: string; readonly authToken: string };
  readonly pbxKey: string;
}

export function demoCredentials(encryptionKey: Buffer): DemoCredentials {
  const derive = (label: string) => createHmac('sha256', encryptionKey).update(`calltrack demo: ${label}`).digest();
  return {
    twilio: {
      accountSid: `AC${derive('twilio account sid').toString('hex').slice(0, 32)}`,
      authToken: derive('twilio auth token').toString('hex').slice(0, 32),
    },
    pbxKey: `${API_KEY_PREFIX}${derive('pbx key').toString('base64url')}`,
  };
}

/** Stores the demo Twilio login and PBX key in `accountId` (idempotent). */
export async function seedDemoCredentials(db: Db, accountId: string, encryptionKey: Buffer): Promise<DemoCredentials> {
  const creds = demoCredentials(encryptionKey);
  const logins = new PgProviderAccountStore(new SecretBox(encryptionKey));
  const existing = (await db('provider_accounts').where({ provider: 'twilio', external_id: creds.twilio.accountSid }).first()) as object | undefined;
  if (!existing)
    await logins.upsert(db, { id: newId(), accountId, provider: 'twilio', externalId: creds.twilio.accountSid, secret: creds.twilio.authToken });
  const keyHash = hashToken(creds.pbxKey);
  if (!(await db('api_keys').where({ key_hash: keyHash }).first())) {
    await db('api_keys').insert({
      id: newId(),
      account_id: accountId,
      name: 'Demo PBX (npm run simulate-call)',
      role: 'pbx',
      display_prefix: displayPrefix(creds.pbxKey),
      key_hash: keyHash,
    });
  }
  return creds;
}
