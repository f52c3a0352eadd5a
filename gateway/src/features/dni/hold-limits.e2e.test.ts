import { expect } from 'chai';
import { RedisHoldLimits } from '../../adapters/redis/redis-hold-limits.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { newId } from '../../shared/ids.js';
import { DEFAULT_POOL_SETTINGS } from '../number-pools/pool-store-type.js';
import type { Pool } from '../number-pools/pool-store-type.js';
import { HoldLimits } from './hold-limits.js';
import type { HoldCounter } from './hold-limits.js';

/** The same rules for the in-process counter and the Redis one; "replicas" are two counters over one state. */
function holdCounterContract(name: string, replicas: () => [HoldCounter, HoldCounter]) {
  describe(name, () => {
    const pool = () => ({ id: newId(), settings: DEFAULT_POOL_SETTINGS }) as Pool;
    const caps = { perVisitor: 2, perAddress: 3 };
    const now = 1_000_000;

    it('keeps one address cap and one visitor cap whichever replica counts', async () => {
      const [a, b] = replicas();
      const p = pool();
      const got = [];
      for (let i = 0; i < 5; i++) got.push(await (i % 2 ? b : a).reserve(p, `s${i}`, `v${i}`, '203.0.113.1', caps, now + 300_000, now));
      expect(got).to.deep.equal([null, null, null, 'address', 'address']);
      expect(await b.reserve(p, 's0', 'v0', '203.0.113.1', caps, now + 300_000, now), 'a counted session passes').to.equal(null);
      expect(await a.reserve(p, 'x1', 'same', '198.51.100.1', caps, now + 300_000, now)).to.equal(null);
      expect(await b.reserve(p, 'x2', 'same', '198.51.100.2', caps, now + 300_000, now)).to.equal(null);
      expect(await a.reserve(p, 'x3', 'same', '198.51.100.3', caps, now + 300_000, now)).to.equal('visitor');
      await b.released(p.id, 's2');
      expect(await a.reserve(p, 's9', 'v9', '203.0.113.1', caps, now + 300_000, now), 'a released hold frees its place').to.equal(null);
    });

    it('lets holds lapse at their end unless extended, on any replica', async () => {
      const [a, b] = replicas();
      const p = pool();
      const one = { perVisitor: 1, perAddress: 0 };
      expect(await a.reserve(p, 's1', 'v', undefined, one, now + 1_000, now)).to.equal(null);
      await b.extended(p.id, 's1', now + 5_000, now + 500);
      expect(await b.reserve(p, 's2', 'v', undefined, one, now + 9_000, now + 2_000), 'extended: still held').to.equal('visitor');
      expect(await b.reserve(p, 's2', 'v', undefined, one, now + 9_000, now + 5_001), 'lapsed').to.equal(null);
    });

    it('never lets concurrent reserves pass a cap', async () => {
      const [a, b] = replicas();
      const p = pool();
      const got = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).reserve(p, `c${i}`, `v${i}`, '192.0.2.1', caps, now + 300_000, now)),
      );
      expect(got.filter((x) => x === null)).to.have.length(3);
    });
  });
}

describe('holding cap counters', () => {
  const shared = new HoldLimits();
  holdCounterContract('in process (embedded mode: one process)', () => [shared, shared]);
  const r = useTestRedis();
  holdCounterContract('in Redis (server mode: across replicas)', () => [new RedisHoldLimits(r.redis), new RedisHoldLimits(r.redis)]);
});
