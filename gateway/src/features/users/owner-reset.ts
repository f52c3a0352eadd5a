import { randomBytes } from 'node:crypto';
import type { Db } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { hashPassword } from './password.js';

export interface OwnerResetResult {
  readonly email: string;
  readonly password: string;
  /** True when the password was generated (print it); false when the operator chose it. */
  readonly generated: boolean;
}

/**
 * Gives an owner a new password from the command line, so a lost first-start password never locks anyone out. The
 * owner is re-enabled, their console sessions end (whoever had the old password is out), and the audit log says so.
 * Without an email the oldest owner of the oldest account is reset.
 */
export async function resetOwnerPassword(db: Db, opts: { email?: string; password?: string }): Promise<OwnerResetResult> {
  if (opts.password !== undefined && opts.password.length < 12) throw new Error('The new password must have at least 12 characters');
  return db.transaction(async (trx) => {
    const q = trx('users as u').join('accounts as a', 'a.id', 'u.account_id').select('u.id', 'u.email', 'u.account_id').where('u.role', 'owner');
    if (opts.email) q.whereRaw('lower(u.email) = lower(?)', [opts.email]);
    const owner = (await q.orderBy('a.created_at').orderBy('u.created_at').first()) as { id: string; email: string; account_id: string } | undefined;
    if (!owner) throw new Error(opts.email ? `No owner with the email ${opts.email}` : 'There is no owner yet: start the gateway once to create one');
    const password = opts.password ?? randomBytes(12).toString('base64url');
    await trx('users')
      .where({ id: owner.id })
      .update({ password_hash: await hashPassword(password), disabled_at: null, updated_at: new Date() });
    await trx('user_sessions').where({ user_id: owner.id }).del();
    await trx('audit_log').insert({
      id: newId(),
      account_id: owner.account_id,
      actor_user_id: null,
      actor_key_id: null,
      action: 'user.password_reset',
      target_type: 'user',
      target_id: owner.id,
      details: JSON.stringify({ via: 'command line' }),
    });
    return { email: owner.email, password, generated: opts.password === undefined };
  });
}
