import type { Db } from '../adapters/db/knex.js';
import { newId } from '../shared/ids.js';
import { formatInternational } from '../shared/phone.js';

/**
 * Demo data, idempotent: a site with public key `demo` (localhost), two canonical numbers, a "Google Ads" channel
 * with a static number per canonical number, and a session pool of five numbers per canonical number. Every demo
 * number forwards to +14155550199. Goes into the first account, or a new "Demo" account when there is none.
 */

export const DEMO_SITE_KEY = 'demo';
const FORWARD_TO = '+14155550199';
const CANONICAL = ['+14155550100', '+74951234567'] as const;
/** The demo's "Google Ads" number for the first canonical number: what `npm run simulate-call` dials by default. */
export const DEMO_STATIC_NUMBER = '+14155550110';
const STATIC_NUMBERS: Record<(typeof CANONICAL)[number], string> = { '+14155550100': DEMO_STATIC_NUMBER, '+74951234567': '+74951234570' };
const SESSION_NUMBERS: Record<(typeof CANONICAL)[number], string[]> = {
  '+14155550100': ['+14155550101', '+14155550102', '+14155550103', '+14155550104', '+14155550105'],
  '+74951234567': ['+74951234561', '+74951234562', '+74951234563', '+74951234564', '+74951234565'],
};

export interface DemoSeedResult {
  readonly accountId: string;
  readonly siteId: string;
  readonly poolIds: readonly string[];
  /** Rows created by this run (0 when everything was already there). */
  readonly created: number;
}

export function seedDemo(db: Db): Promise<DemoSeedResult> {
  return db.transaction(async (trx) => {
    let created = 0;
    let site = (await trx('sites').where({ public_key: DEMO_SITE_KEY }).first()) as { id: string; account_id: string } | undefined;
    if (!site) {
      let account = (await trx('accounts').orderBy('created_at').first()) as { id: string } | undefined;
      if (!account) {
        account = { id: newId() };
        await trx('accounts').insert({ id: account.id, name: 'Demo' });
        created += 1;
      }
      site = { id: newId(), account_id: account.id };
      await trx('sites').insert({
        id: site.id,
        account_id: site.account_id,
        name: 'Demo site',
        public_key: DEMO_SITE_KEY,
        domains: JSON.stringify(['localhost:*', '127.0.0.1:*']),
        canonical_numbers: JSON.stringify(CANONICAL),
        default_forward_to: FORWARD_TO,
      });
      created += 1;
    }
    const accountId = site.account_id;
    const siteId = site.id;

    const findOrCreate = async (table: string, where: Record<string, unknown>, row: Record<string, unknown>): Promise<string> => {
      const found = (await trx(table).where(where).first()) as { id: string } | undefined;
      if (found) return found.id;
      const id = newId();
      await trx(table).insert({ id, account_id: accountId, ...where, ...row });
      created += 1;
      return id;
    };

    const channelId = await findOrCreate(
      'channels',
      { site_id: siteId, name: 'Google Ads' },
      { kind: 'paid_search', priority: 10, rules: JSON.stringify([{ click_id: 'gclid' }, { utm_source: 'google', utm_medium: 'cpc' }]) },
    );
    const poolIds: string[] = [];
    for (const canonical of CANONICAL) {
      // Found by what they are, so a demo seeded before keeps its pools whatever they are called.
      const shown = formatInternational(canonical);
      const staticPool = await findOrCreate(
        'pools',
        { site_id: siteId, kind: 'static', canonical_number: canonical, channel_id: channelId },
        { name: `Google Ads ${shown}` },
      );
      const sessionPool = await findOrCreate(
        'pools',
        { site_id: siteId, kind: 'session', canonical_number: canonical },
        { name: `Website ${shown}`, settings: JSON.stringify({}) },
      );
      poolIds.push(staticPool, sessionPool);
      const numbers: [string, string][] = [
        [STATIC_NUMBERS[canonical], staticPool],
        ...SESSION_NUMBERS[canonical].map((n): [string, string] => [n, sessionPool]),
      ];
      for (const [e164, poolId] of numbers) {
        if (await trx('tracking_numbers').where({ e164 }).whereNot({ status: 'released' }).first()) continue;
        await trx('tracking_numbers').insert({
          id: newId(),
          account_id: accountId,
          site_id: siteId,
          pool_id: poolId,
          e164,
          provider: 'asterisk',
          provider_ref: 'demo',
          forward_to: FORWARD_TO,
          status: 'active',
        });
        created += 1;
      }
    }
    return { accountId, siteId, poolIds, created };
  });
}
