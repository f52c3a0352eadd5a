import { expect } from 'chai';
import { SqlNumberLeaseStore } from '../../../gateway/src/adapters/db/sql-number-lease-store.js';
import { RedisNumberLeaseStore } from '../../../gateway/src/adapters/redis/redis-number-lease-store.js';
import { createLogger } from '../../../gateway/src/logging/logger.js';
import { newId } from '../../../gateway/src/shared/ids.js';
import { useTestDatabase } from '../../../gateway/test/helpers/db.js';
import { useTestRedis } from '../../../gateway/test/helpers/redis.js';
import { allPolicies } from './policies.js';
import { storeEngine } from './engine.js';
import { buildSchedule, runSize } from './run.js';
import { DEFAULT_TRAFFIC, generateTraffic } from './traffic.js';
import { type RealStore, verifyOn } from './verify.js';

// The simulator's in-memory engine must decide exactly as the real stores do: an hour of the default traffic,
// at a comfortable size and at an exhausted one, replayed in lockstep.
describe('pool simulator against the real lease stores', () => {
  const t = useTestDatabase();
  const visits = generateTraffic({ ...DEFAULT_TRAFFIC, hours: 1, seed: 5 });
  const lru = allPolicies().filter((p) => p.selection === 'lru');
  let accountId: string;
  before(async () => {
    accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'simulation' });
  });
  const real = (name: string, store: RealStore['store']): RealStore => ({ name, store, accountId, db: t.db, close: async () => undefined });

  it('SQL store: same outcome for every operation and the same lease history', async function () {
    this.timeout(300_000);
    for (const p of lru) {
      for (const size of [90, 20]) {
        const v = await verifyOn(real('sql', new SqlNumberLeaseStore(t.db.knex)), visits, buildSchedule(visits, p), p, size, 1);
        expect(v.ops, `${p.name} at ${size}`).to.be.above(500);
        expect(v.examples).to.deep.equal([]);
        expect(v.mismatches + v.historyMismatches).to.equal(0);
      }
    }
  });

  it('gives the same accuracy when the run itself goes through the SQL store (--store sql)', async function () {
    this.timeout(300_000);
    const ours = lru.find((p) => p.name === 'ours')!;
    const schedule = buildSchedule(visits, ours);
    const store = new SqlNumberLeaseStore(t.db.knex);
    // The first two hours: the warm-up and an hour of counted visits.
    const until = 2 * 3_600_000;
    const viaSql = await runSize(visits, schedule, ours, 30, {
      until,
      engine: (policy) => {
        const pool = { id: newId(), accountId, policy };
        return { engine: storeEngine(store, t.db, pool.id), pool };
      },
    });
    const inMemory = await runSize(visits, schedule, ours, 30, { until });
    expect(viaSql.calls).to.be.above(100);
    expect(viaSql).to.deep.equal(inMemory);
  });

  describe('Redis', () => {
    const r = useTestRedis();
    it('Redis store: same outcome for every operation and the same lease history', async function () {
      this.timeout(300_000);
      const store = new RedisNumberLeaseStore(r.redis, t.db.knex, createLogger({ level: 'silent' }));
      for (const p of lru) {
        for (const size of [90, 20]) {
          const v = await verifyOn(real('redis', store), visits, buildSchedule(visits, p), p, size, 1);
          expect(v.examples).to.deep.equal([]);
          expect(v.mismatches + v.historyMismatches).to.equal(0);
        }
      }
    });
  });
});
