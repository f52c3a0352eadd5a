import { expect } from 'chai';
import type { RedisHandle } from '../../adapters/redis/redis-client.js';
import { RedisNumberLeaseStore, SYNC_CHUNK } from '../../adapters/redis/redis-number-lease-store.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { leaseStoreContract } from './number-lease-store.contract.js';
import { DEFAULT_LEASE_POLICY } from './number-lease-store-type.js';
import { NumberLeaseService } from './number-lease-service.js';
import { noPoolMetrics } from './pool-metrics.js';
import { DEFAULT_POOL_SETTINGS } from './pool-store-type.js';
import type { Pool, PoolStore } from './pool-store-type.js';
import type { TrackingNumberStore } from '../tracking-numbers/tracking-number-store-type.js';
import { ManualClock } from '../../shared/clock.js';

/** A session pool as the pool store returns it, for a lease service over a stub store. */
const sessionPool = (id: string, accountId: string, name: string): Pool => ({
  id,
  accountId,
  siteId: 'site',
  channelId: null,
  name,
  kind: 'session',
  canonicalNumber: '+16665550000',
  fallbackNumber: null,
  settings: DEFAULT_POOL_SETTINGS,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

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

  describe('keys of a pool vanishing under the scripts', () => {
    const setup = async (tag: string) => {
      const accountId = newId();
      await t.db.knex('accounts').insert({ id: accountId, name: `vanish ${tag}` });
      const s = new RedisNumberLeaseStore(r.redis, t.db.knex, logger, { consumer: `vanish-${tag}` });
      const pool = { id: newId(), accountId, policy: DEFAULT_LEASE_POLICY };
      const numbers = [0, 1].map((i) => ({ trackingNumberId: newId(), e164: `+1666555${tag}${i}`, status: 'active' as const }));
      await s.syncPool(pool, numbers, 1_000);
      return { s, pool, numbers, key: (part: string) => `${r.redis.keyPrefix}lp:{${pool.id}}:${part}` };
    };

    it('answers an empty pool (to be rebuilt) when its numbers hash is gone, instead of a script error', async () => {
      const { s, pool, key } = await setup('010');
      expect((await s.lease(pool, { sessionId: 'v-1', visitorId: 'vis-1', now: 2_000 })).kind).to.equal('leased');
      await r.redis.client.del(key('nums'));
      // The free set still names a number: leasing it used to XADD a nil number id and throw.
      expect(await s.lease(pool, { sessionId: 'v-2', visitorId: 'vis-2', now: 3_000 })).to.deep.equal({ kind: 'blocked', poolMissing: true });
      expect(await s.release(pool, 'v-1', 4_000, 'left')).to.equal(true);
      expect(await s.heartbeat(pool, 'v-2', 4_000)).to.equal(null);
    });

    it('skips a free number whose entry vanished and leases the next one', async () => {
      const { s, pool, numbers, key } = await setup('020');
      await r.redis.client.hDel(key('nums'), numbers[0]!.e164);
      const out = await s.lease(pool, { sessionId: 'v-3', visitorId: null, now: 2_000 });
      expect(out.kind === 'leased' && out.e164).to.equal(numbers[1]!.e164);
      expect((await s.lease(pool, { sessionId: 'v-4', visitorId: null, now: 2_000 })).kind).to.equal('blocked');
    });

    it('is rebuilt from SQL by the lease service, which then leases (at most one rebuild per pool in 10 s)', async () => {
      const { s, pool, numbers, key } = await setup('030');
      const clock = new ManualClock(5_000);
      const full = sessionPool(pool.id, pool.accountId, 'vanishing');
      let reads = 0;
      const service = new NumberLeaseService({
        db: t.db.knex,
        pools: { getAny: async () => full } as unknown as PoolStore,
        numbers: {
          listByPool: async () => {
            reads += 1;
            return numbers.map((n) => ({ id: n.trackingNumberId, e164: n.e164, status: 'active' }));
          },
        } as unknown as TrackingNumberStore,
        leases: s,
        metrics: noPoolMetrics,
        clock,
        logger,
      });
      for (const part of ['nums', 'free', 'holders', 'sess', 'busy']) await r.redis.client.del(key(part));
      const out = await service.lease(full, 'v-5', null);
      expect(out.kind, 'leased after the rebuild').to.equal('leased');
      expect(reads).to.equal(1);
      for (const part of ['nums', 'free', 'holders', 'sess', 'busy']) await r.redis.client.del(key(part));
      expect((await service.lease(full, 'v-6', null)).kind, 'no second rebuild within 10 s').to.equal('blocked');
      clock.advance(10_000);
      expect((await service.lease(full, 'v-6', null)).kind).to.equal('leased');
      expect(reads).to.equal(2);
    });
  });

  it('two replicas syncing one pool at once: the later waits, reads after the first wrote, and the pool ends as the database is', async () => {
    const accountId = newId();
    const full = sessionPool(newId(), accountId, 'synced twice');
    const range = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ id: `n${from + i}`, e164: `+1777${String(from + i).padStart(7, '0')}`, status: 'active' }));
    // Three chunks each; the second list keeps half of the first and adds as many.
    const first = range(0, 3 * SYNC_CHUNK);
    const second = range(1.5 * SYNC_CHUNK, 4.5 * SYNC_CHUNK);
    let database = first;
    // Replica A's script calls are slow (a loaded machine): without the lock, B's whole sync runs inside A's.
    const slow = new Proxy(r.redis.client, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop !== 'sendCommand' || typeof v !== 'function') return v;
        return async (args: string[], ...rest: unknown[]) => {
          if (String(args[0]).startsWith('EVAL')) await new Promise((done) => setTimeout(done, 20));
          return (v as (...a: unknown[]) => Promise<unknown>).call(target, args, ...rest);
        };
      },
    });
    const service = (store: RedisNumberLeaseStore, onRead?: () => void) =>
      new NumberLeaseService({
        db: t.db.knex,
        pools: { getAny: async () => full } as unknown as PoolStore,
        numbers: {
          listByPool: async () => {
            const read = database;
            onRead?.();
            return read;
          },
        } as unknown as TrackingNumberStore,
        leases: store,
        metrics: noPoolMetrics,
        clock: new ManualClock(5_000),
        logger,
      });
    const b = service(new RedisNumberLeaseStore(r.redis, t.db.knex, logger, { consumer: 'sync-b' }));
    let bSync: Promise<void> | null = null;
    // Right after A read the first list, an admin change lands in the database and B's sync starts.
    const a = service(new RedisNumberLeaseStore({ ...r.redis, client: slow } as RedisHandle, t.db.knex, logger, { consumer: 'sync-a' }), () => {
      if (bSync) return;
      database = second;
      bSync = b.syncPool(accountId, full.id);
    });
    await a.syncPool(accountId, full.id);
    await bSync;
    const nums = await r.redis.client.hGetAll(`${r.redis.keyPrefix}lp:{${full.id}}:nums`);
    expect(Object.keys(nums).sort(), 'the numbers the database has now').to.deep.equal(second.map((n) => n.e164).sort());
    const occupancy = await b.occupancy(full);
    expect(occupancy).to.deep.equal({ size: second.length, leasable: second.length, inUse: 0 });
    expect(await r.redis.client.keys(`${r.redis.keyPrefix}{leader:sync:pool:${full.id}}*`), 'the lock leaves no key behind').to.deep.equal([]);
  });
});
