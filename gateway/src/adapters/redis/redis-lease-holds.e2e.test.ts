import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { DEFAULT_LEASE_POLICY } from '../../features/number-pools/number-lease-store-type.js';
import type { LeasePool } from '../../features/number-pools/number-lease-store-type.js';
import { DEFAULT_POOL_SETTINGS } from '../../features/number-pools/pool-store-type.js';
import type { Pool } from '../../features/number-pools/pool-store-type.js';
import type { RedisHandle } from './redis-client.js';
import { RedisHoldLimits } from './redis-hold-limits.js';
import { RedisNumberLeaseStore } from './redis-number-lease-store.js';

/** Holding caps checked and counted inside the lease script: the same rules as `RedisHoldLimits`, one round trip. */
describe('Redis lease store: holding caps in the lease', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  const logger = createLogger({ level: 'silent' });
  const now = 1_000_000;
  const hold = DEFAULT_LEASE_POLICY.activeWindowMs + DEFAULT_LEASE_POLICY.holdMs;

  /** Counts the commands sent through the handle, so a test sees round trips. */
  function counted(): { handle: RedisHandle; sent: string[] } {
    const sent: string[] = [];
    const client = new Proxy(r.redis.client, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop !== 'sendCommand' || typeof v !== 'function') return v;
        return (args: string[], ...rest: unknown[]) => {
          sent.push(String(args[0]));
          return (v as (...a: unknown[]) => unknown).call(target, args, ...rest);
        };
      },
    });
    return { handle: { ...r.redis, client } as RedisHandle, sent };
  }

  async function pool(size: number): Promise<LeasePool> {
    const p = { id: newId(), accountId: newId(), policy: DEFAULT_LEASE_POLICY };
    const store = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    const numbers = Array.from({ length: size }, (_, i) => ({
      trackingNumberId: newId(),
      e164: `+1555777${String(i).padStart(4, '0')}`,
      status: 'active' as const,
    }));
    await store.syncPool(p, numbers, now - 1);
    return p;
  }

  it('refuses a visitor and an address over their caps with one round trip per lease, and lets a counted session renew', async () => {
    const p = await pool(10);
    const { handle, sent } = counted();
    const a = new RedisNumberLeaseStore(handle, t.db.knex, logger);
    const b = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    // The script is loaded once (EVAL after NOSCRIPT); from then on a lease is one EVALSHA.
    await b.lease(p, { sessionId: 'warm', visitorId: 'warm', now });
    const caps = { perVisitor: 2, perAddress: 3, address: '203.0.113.1' };
    const kinds = [];
    for (let i = 0; i < 5; i++) {
      const out = await (i % 2 ? b : a).lease(p, { sessionId: `s${i}`, visitorId: `v${i}`, now, holds: caps });
      kinds.push(out.kind === 'leased' ? 'leased' : (out.capped ?? 'blocked'));
    }
    expect(kinds).to.deep.equal(['leased', 'leased', 'leased', 'address', 'address']);
    expect(sent, 'one EVALSHA per lease, nothing else').to.deep.equal(['EVALSHA', 'EVALSHA', 'EVALSHA']);
    const again = await a.lease(p, { sessionId: 's0', visitorId: 'v0', now: now + 1_000, holds: caps });
    expect(again.kind === 'leased' && again.how, 'a counted session passes').to.equal('renewed');
    const visitor = { perVisitor: 2, perAddress: 0 };
    expect((await a.lease(p, { sessionId: 'x1', visitorId: 'same', now, holds: visitor })).kind).to.equal('leased');
    expect((await b.lease(p, { sessionId: 'x2', visitorId: 'same', now, holds: visitor })).kind).to.equal('leased');
    const third = await a.lease(p, { sessionId: 'x3', visitorId: 'same', now, holds: visitor });
    expect(third.kind === 'blocked' && third.capped).to.equal('visitor');
    // Holds counted by the lease are the ones `RedisHoldLimits` sees (the retake path counts there).
    const limits = new RedisHoldLimits(r.redis);
    const asPool = { id: p.id, settings: DEFAULT_POOL_SETTINGS } as Pool;
    expect(await limits.reserve(asPool, 'x4', 'same', undefined, visitor, now + hold, now)).to.equal('visitor');
    await limits.released(p.id, 'x2');
    expect((await a.lease(p, { sessionId: 'x4', visitorId: 'same', now, holds: visitor })).kind, 'a released hold frees its place').to.equal(
      'leased',
    );
  });

  it('uncounts the hold of a refused lease, and keeps a heartbeat-extended hold past its first end', async () => {
    const p = await pool(1);
    const store = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    const one = { perVisitor: 1, perAddress: 0 };
    expect((await store.lease(p, { sessionId: 'a1', visitorId: 'va', now, holds: one })).kind).to.equal('leased');
    const refused = await store.lease(p, { sessionId: 'b1', visitorId: 'vb', now, holds: one });
    expect(refused.kind === 'blocked' && refused.capped, 'pool exhausted, not capped').to.equal(undefined);
    await store.release(p, 'a1', now + 1, 'left');
    // b1's refused lease left no hold: vb leases at once.
    expect((await store.lease(p, { sessionId: 'b2', visitorId: 'vb', now: now + 2, holds: one })).kind).to.equal('leased');
    const limits = new RedisHoldLimits(r.redis);
    const asPool = { id: p.id, settings: DEFAULT_POOL_SETTINGS } as Pool;
    const later = now + hold - 10_000;
    expect(await store.heartbeat(p, 'b2', later)).to.equal(later + hold);
    expect(await limits.reserve(asPool, 'b3', 'vb', undefined, one, now + 2 * hold, now + hold + 5), 'extended: still held').to.equal('visitor');
    expect(await limits.reserve(asPool, 'b3', 'vb', undefined, one, now + 3 * hold, later + hold + 1), 'lapsed').to.equal(null);
  });

  it('never lets concurrent leases pass a cap', async () => {
    const p = await pool(20);
    const a = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    const b = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    const caps = { perVisitor: 0, perAddress: 3, address: '192.0.2.1' };
    const got = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).lease(p, { sessionId: `c${i}`, visitorId: `v${i}`, now, holds: caps })),
    );
    expect(got.filter((o) => o.kind === 'leased')).to.have.length(3);
    expect(got.filter((o) => o.kind === 'blocked' && o.capped === 'address')).to.have.length(9);
  });
});
