import { RedisNumberLeaseStore } from '../../adapters/redis/redis-number-lease-store.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { createLogger } from '../../logging/logger.js';
import { leaseStoreContract } from './number-lease-store.contract.js';

describe('Redis number lease store', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let store: RedisNumberLeaseStore | null = null;
  leaseStoreContract(() => {
    store ??= new RedisNumberLeaseStore(r.redis, t.db.knex, createLogger({ level: 'silent' }));
    return { store, db: t.db.knex };
  });
});
