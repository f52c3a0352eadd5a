import { randomBytes } from 'node:crypto';
import type { Db } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import type { AccountStore } from '../accounts/account-store.js';
import { hashPassword } from '../users/password.js';
import type { UserStore } from '../users/user-store.js';
import type { ApiKeyStore } from './api-key-store.js';
import { API_KEY_PREFIX, displayPrefix, hashToken, newSecretToken } from './tokens.js';

export interface BootstrapResult {
  readonly accountId: string;
  readonly email: string;
  /** Present only when generated here: shown once, never stored in clear. */
  readonly generatedPassword: string | null;
  readonly generatedApiKey: string | null;
}

/**
 * On an empty database, creates the first account with an owner and an API key. Uses BOOTSTRAP_PASSWORD and
 * BOOTSTRAP_API_KEY when given (automated deployments); otherwise generates them and returns them for a one-time
 * print. Safe when several replicas start together: the table lock lets exactly one of them create the owner.
 */
export async function bootstrapFirstOwner(
  db: Db,
  stores: { accounts: AccountStore; users: UserStore; apiKeys: ApiKeyStore },
  opts: { email: string; password: string | null; apiKey: string | null },
): Promise<BootstrapResult | null> {
  return db.transaction(async (trx) => {
    await trx.raw('LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE');
    if ((await stores.accounts.count(trx)) > 0) return null;
    const account = await stores.accounts.create(trx, { id: newId(), name: 'Default' });
    const password = opts.password ?? randomBytes(12).toString('base64url');
    const user = await stores.users.create(trx, {
      id: newId(),
      accountId: account.id,
      email: opts.email,
      name: 'Owner',
      role: 'owner',
      passwordHash: await hashPassword(password),
    });
    const token = opts.apiKey ?? newSecretToken(API_KEY_PREFIX);
    await stores.apiKeys.create(trx, {
      id: newId(),
      accountId: account.id,
      userId: user.id,
      name: 'bootstrap',
      role: 'owner',
      displayPrefix: displayPrefix(token),
      keyHash: hashToken(token),
      expiresAt: null,
    });
    return {
      accountId: account.id,
      email: opts.email,
      generatedPassword: opts.password ? null : password,
      generatedApiKey: opts.apiKey ? null : token,
    };
  });
}
