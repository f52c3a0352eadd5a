import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { DbOrTrx } from '../../adapters/db/knex.js';

export interface EmailAlias {
  readonly address: string;
  readonly accountId: string;
  readonly siteId: string;
  readonly channelId: string | null;
  readonly kind: 'static' | 'session';
  readonly sessionId: string | null;
}

interface Row {
  address: string;
  account_id: string;
  site_id: string;
  channel_id: string | null;
  kind: 'static' | 'session';
  session_id: string | null;
}

const toDomain = (r: Row): EmailAlias => ({
  address: r.address,
  accountId: r.account_id,
  siteId: r.site_id,
  channelId: r.channel_id,
  kind: r.kind,
  sessionId: r.session_id,
});

// 40 bits of randomness in the local part: aliases cannot be guessed from each other.
const local = (): string => randomBytes(5).toString('hex');

/** `email_aliases`: the addresses the widget shows instead of the site's own, per channel or leased per visit. */
export class PgEmailAliasStore {
  async find(db: DbOrTrx, address: string): Promise<EmailAlias | null> {
    const row = (await db('email_aliases').where({ address: address.toLowerCase() }).first()) as Row | undefined;
    return row ? toDomain(row) : null;
  }

  /** The channel's alias (null channel: visits without one), created on first use. */
  async forChannel(db: DbOrTrx, a: { accountId: string; siteId: string; channelId: string | null; domain: string }): Promise<string> {
    const q = db('email_aliases').where({ site_id: a.siteId, kind: 'static' });
    const existing = (await (a.channelId ? q.where('channel_id', a.channelId) : q.whereNull('channel_id')).first('address')) as
      | { address: string }
      | undefined;
    if (existing) return existing.address;
    const address = `${local()}@${a.domain}`;
    await db('email_aliases').insert({ address, account_id: a.accountId, site_id: a.siteId, channel_id: a.channelId, kind: 'static' });
    return address;
  }

  /**
   * The visit's alias from the site's pool: the one it holds, else the least recently leased (the pool grows to
   * `poolSize` first), so an alias goes to another visit only after every other alias did. Needs the caller's
   * transaction: the pool is locked for the choice.
   */
  async leaseForSession(
    trx: Knex.Transaction,
    a: { accountId: string; siteId: string; sessionId: string; channelId: string | null; domain: string; poolSize: number; now: Date },
  ): Promise<string> {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`email-pool:${a.siteId}`]);
    const held = (await trx('email_aliases').where({ site_id: a.siteId, kind: 'session', session_id: a.sessionId }).first('address')) as
      | { address: string }
      | undefined;
    if (held) return held.address;
    const count = Number(((await trx('email_aliases').where({ site_id: a.siteId, kind: 'session' }).count('* as n').first()) as { n: unknown }).n);
    const set = { session_id: a.sessionId, channel_id: a.channelId, leased_at: a.now };
    if (count < a.poolSize) {
      const address = `${local()}@${a.domain}`;
      await trx('email_aliases').insert({ address, account_id: a.accountId, site_id: a.siteId, kind: 'session', ...set });
      return address;
    }
    const lru = (await trx('email_aliases')
      .where({ site_id: a.siteId, kind: 'session' })
      .orderByRaw('leased_at ASC NULLS FIRST')
      .first('address')) as { address: string };
    await trx('email_aliases').where({ address: lru.address }).update(set);
    return lru.address;
  }
}
