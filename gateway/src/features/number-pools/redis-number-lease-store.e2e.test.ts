import { expect } from 'chai';
import { RedisNumberLeaseStore } from '../../adapters/redis/redis-number-lease-store.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { leaseStoreContract } from './number-lease-store.contract.js';
import { DEFAULT_LEASE_POLICY } from './number-lease-store-type.js';

describe('Redis number lease store', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  const logger = createLogger({ level: 'silent' });
  let store: RedisNumberLeaseStore | null = null;
  leaseStoreContract(() => {
    store ??= new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    return { store, db: t.db.knex };
  });

  describe('history read but not yet written when the process died', () => {
    it('is written by the next run of the same consumer, or claimed by another one', async () => {
      const accountId = newId();
      await t.db.knex('accounts').insert({ id: accountId, name: 'crash' });
      const a = new RedisNumberLeaseStore(r.redis, t.db.knex, logger, { consumer: 'replica-a' });
      for (const [i, consumer] of ['replica-a', 'replica-b'].entries()) {
        const pool = { id: newId(), accountId, policy: DEFAULT_LEASE_POLICY };
        await a.syncPool(pool, [{ trackingNumberId: newId(), e164: `+1666555000${i}`, status: 'active' }], 1_000);
        await a.flushHistory();
        const lease = await a.lease(pool, { sessionId: `crash-${i}`, visitorId: null, now: 2_000 });
        expect(lease.kind).to.equal('leased');
        // What a flusher does before its database write: read the entry into its pending list. Then it "dies".
        const stream = `${r.redis.keyPrefix}lp:{${pool.id}}:log`;
        await r.redis.client.sendCommand(['XREADGROUP', 'GROUP', 'history', consumer, 'COUNT', '10', 'STREAMS', stream, '>']);
        const rows = () => t.db.knex('number_leases').where({ pool_id: pool.id }).count<{ count: number }[]>('* as count');
        expect(Number((await rows())[0]!.count)).to.equal(0);

        const restarted =
          consumer === 'replica-a'
            ? new RedisNumberLeaseStore(r.redis, t.db.knex, logger, { consumer: 'replica-a' })
            : new RedisNumberLeaseStore(r.redis, t.db.knex, logger, { consumer: 'replica-c', claimIdleMs: 0 });
        expect(await restarted.flushHistory()).to.be.at.least(1);
        expect(Number((await rows())[0]!.count)).to.equal(1);
        expect(await restarted.flushHistory(), 'nothing left pending').to.equal(0);
      }
    });
  });

  it('drops history of a deleted account with a warning instead of blocking the stream', async () => {
    const accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'gone soon' });
    const s = new RedisNumberLeaseStore(r.redis, t.db.knex, logger, { consumer: 'fk' });
    const pool = { id: newId(), accountId, policy: DEFAULT_LEASE_POLICY };
    await s.syncPool(pool, [{ trackingNumberId: newId(), e164: '+16665550099', status: 'active' }], 1_000);
    expect((await s.lease(pool, { sessionId: 'fk-1', visitorId: null, now: 2_000 })).kind).to.equal('leased');
    await t.db.knex('accounts').where({ id: accountId }).del();
    expect(await s.flushHistory()).to.be.at.least(1);
    expect(await s.flushHistory()).to.equal(0);
  });
});
