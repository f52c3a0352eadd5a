import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { DEFAULT_LEASE_POLICY } from '../../features/number-pools/number-lease-store-type.js';
import type { LeaseOutcome, LeasePool, PoolNumber } from '../../features/number-pools/number-lease-store-type.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import type { RedisHandle } from './redis-client.js';
import { RedisNumberLeaseStore, SYNC_CHUNK } from './redis-number-lease-store.js';

/**
 * Syncing a large pool runs in chunks: no script call carries the whole pool, Redis answers other clients between
 * them, and leases taken while the sync runs stay exclusive and end when their number leaves the pool.
 */
describe('Redis lease store: pool sync in chunks', function () {
  this.timeout(180_000);
  const t = useTestDatabase();
  const r = useTestRedis();
  const logger = createLogger({ level: 'silent' });
  const SIZE = 60_000;
  /**
   * The longest a script call (and another client's PING) may take here. The slowest chunk measured 20–180 ms at
   * load average 15–16 on a 2-core machine; the single script over 60,000 numbers held Redis 0.9–1.5 s there. The
   * bound leaves ~3x the worst measured for a loaded CI.
   */
  const CALL_BOUND_MS = 500;

  const numbers = (from: number, to: number, status: 'active' | 'paused' = 'active'): PoolNumber[] =>
    Array.from({ length: to - from }, (_, i) => ({
      trackingNumberId: `n${from + i}`,
      e164: `+1444${String(from + i).padStart(7, '0')}`,
      status,
    }));

  /** Times each script call sent through the handle. */
  function timed(): { handle: RedisHandle; calls: { ms: number; args: number }[] } {
    const calls: { ms: number; args: number }[] = [];
    const client = new Proxy(r.redis.client, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop !== 'sendCommand' || typeof v !== 'function') return v;
        return async (args: string[], ...rest: unknown[]) => {
          const t0 = performance.now();
          try {
            return await (v as (...a: unknown[]) => Promise<unknown>).call(target, args, ...rest);
          } finally {
            if (String(args[0]).startsWith('EVAL')) calls.push({ ms: performance.now() - t0, args: args.length });
          }
        };
      },
    });
    return { handle: { ...r.redis, client } as RedisHandle, calls };
  }

  /** The pool's live state, checked against what was synced: no number lost, held twice, or left behind. */
  async function expectConsistent(pool: LeasePool, wanted: readonly PoolNumber[]): Promise<void> {
    const b = `${r.redis.keyPrefix}lp:{${pool.id}}:`;
    const c = r.redis.client;
    const [nums, free, paused, holders, sess] = await Promise.all([
      c.hGetAll(`${b}nums`),
      c.zRange(`${b}free`, 0, -1),
      c.sMembers(`${b}paused`),
      c.hGetAll(`${b}holders`),
      c.hGetAll(`${b}sess`),
    ]);
    expect(Object.keys(nums)).to.have.length(wanted.length);
    for (const n of wanted) expect(nums[n.e164], n.e164).to.equal(n.trackingNumberId);
    const freeSet = new Set(free);
    const pausedSet = new Set(paused);
    expect([...pausedSet].sort()).to.deep.equal(
      wanted
        .filter((n) => n.status === 'paused')
        .map((n) => n.e164)
        .sort(),
    );
    for (const n of wanted) {
      const held = holders[n.e164] !== undefined;
      if (n.status === 'paused') expect(freeSet.has(n.e164), `${n.e164} paused, not free`).to.equal(false);
      else expect(Number(held) + Number(freeSet.has(n.e164)), `${n.e164} held or free, not both`).to.equal(1);
    }
    expect(
      free.every((e) => nums[e] !== undefined),
      'nothing free outside the pool',
    ).to.equal(true);
    for (const [e164, raw] of Object.entries(holders)) {
      expect(nums[e164], `${e164} held outside the pool`).to.not.equal(undefined);
      expect(sess[(JSON.parse(raw) as { s: string }).s]).to.equal(e164);
    }
    expect(Object.keys(sess)).to.have.length(Object.keys(holders).length);
  }

  it(`syncs ${SIZE.toLocaleString('en')} numbers in bounded calls while Redis keeps answering`, async () => {
    const pool: LeasePool = { id: newId(), accountId: newId(), policy: DEFAULT_LEASE_POLICY };
    const { handle, calls } = timed();
    const store = new RedisNumberLeaseStore(handle, t.db.knex, logger);
    // Another client's round trips during the sync: each waits at most for the script running when it arrived.
    const other = await r.redis.subscriber();
    let syncing = true;
    let slowestPing = 0;
    const pinger = (async () => {
      while (syncing) {
        const t0 = performance.now();
        await other.ping();
        slowestPing = Math.max(slowestPing, performance.now() - t0);
      }
    })();
    const wanted = numbers(0, SIZE);
    await store.syncPool(pool, wanted, 1_000);
    syncing = false;
    await pinger;
    await expectConsistent(pool, wanted);
    const widest = Math.max(...calls.map((c) => c.args));
    expect(calls.length, 'one call per chunk of numbers, then per page of the removal pass').to.be.at.least(SIZE / SYNC_CHUNK);
    // A call names its 10 keys and 5 common arguments besides its numbers.
    expect(widest, 'no call carries more than a chunk').to.be.at.most(3 + 10 + 5 + 3 * SYNC_CHUNK);
    expect(Math.max(...calls.map((c) => c.ms)), 'the slowest script call, ms').to.be.below(CALL_BOUND_MS);
    expect(slowestPing, 'the slowest PING meanwhile, ms').to.be.below(CALL_BOUND_MS);
    expect(await r.redis.client.keys(`${r.redis.keyPrefix}lp:{${pool.id}}:sync:*`), 'no staging left').to.deep.equal([]);
  });

  it('keeps leases taken during a sync exclusive, ends those whose number left, and never leases a paused one', async () => {
    const pool: LeasePool = { id: newId(), accountId: newId(), policy: DEFAULT_LEASE_POLICY };
    const store = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    await store.syncPool(pool, numbers(0, 30_000), 1_000);
    // The second sync drops 0..9,999, pauses 10,000..19,999, keeps 20,000..29,999 and adds 30,000..59,999. Numbers
    // are handed out least recently released first, and all score 0 here, so leases take removed numbers too.
    const next = [...numbers(10_000, 20_000, 'paused'), ...numbers(20_000, SIZE)];
    const pausedE164 = new Set(next.filter((n) => n.status === 'paused').map((n) => n.e164));
    const removedE164 = new Set(numbers(0, 10_000).map((n) => n.e164));
    let syncing = true;
    const during: { session: string; out: LeaseOutcome }[] = [];
    const sync = store.syncPool(pool, next, 2_000).finally(() => {
      syncing = false;
    });
    let i = 0;
    // Paced, and at most 15,000: enough to land between every pair of chunks, fewer than the pool can serve.
    const leaser = async () => {
      while (syncing && i < 15_000) {
        await new Promise((res) => setTimeout(res, 1));
        const session = `s${i++}`;
        const out = await store.lease(pool, { sessionId: session, visitorId: `v${session}`, now: 2_000 });
        during.push({ session, out });
      }
    };
    await Promise.all([sync, leaser(), leaser(), leaser(), leaser()]);
    expect(during.length, 'leases ran while the sync did').to.be.at.least(20);
    const got = during.flatMap((d) => (d.out.kind === 'leased' ? [{ ...d, e164: d.out.e164 }] : []));
    expect(got, 'every lease found a number').to.have.length(during.length);
    expect(new Set(got.map((g) => g.e164)).size, 'no number given twice').to.equal(got.length);
    // A lease on a number that left the pool ended with the sync; a paused one keeps its holder (never newly leased
    // once paused: checked by the contract suite).
    for (const g of got) {
      const beat = await store.heartbeat(pool, g.session, 3_000);
      if (removedE164.has(g.e164)) expect(beat, `${g.e164} left the pool`).to.equal(null);
      else expect(beat, `${g.e164} still held`).to.be.a('number');
    }
    await expectConsistent(pool, next);
    const after = await store.lease(pool, { sessionId: 'after', visitorId: null, now: 3_000 });
    expect(after.kind === 'leased' && (pausedE164.has(after.e164) || removedE164.has(after.e164))).to.equal(false);
    const stream = `${r.redis.keyPrefix}lp:{${pool.id}}:log`;
    const entries = (await r.redis.client.sendCommand(['XRANGE', stream, '-', '+'])) as [string, string[]][];
    const admin = entries.filter(([, f]) => f[0] === 'release' && f[11] === 'admin').map(([, f]) => f[5]);
    expect(admin.sort(), 'one admin release per lease whose number left').to.deep.equal(
      got
        .filter((g) => removedE164.has(g.e164))
        .map((g) => g.e164)
        .sort(),
    );
  });

  it('fails instead of emptying the pool when its staging vanished mid-sync', async () => {
    const pool: LeasePool = { id: newId(), accountId: newId(), policy: DEFAULT_LEASE_POLICY };
    const wanted = numbers(0, 3 * SYNC_CHUNK);
    await new RedisNumberLeaseStore(r.redis, t.db.knex, logger).syncPool(pool, wanted, 1_000);
    // The staging key is deleted just before the first removal call, as an expiry under a very slow sync would.
    let syncCalls = 0;
    const client = new Proxy(r.redis.client, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop !== 'sendCommand' || typeof v !== 'function') return v;
        return async (args: string[], ...rest: unknown[]) => {
          const stage = args.find((a) => a.includes(':sync:'));
          if (stage && ++syncCalls === 4) await target.del(stage);
          return (v as (...a: unknown[]) => Promise<unknown>).call(target, args, ...rest);
        };
      },
    });
    const store = new RedisNumberLeaseStore({ ...r.redis, client } as RedisHandle, t.db.knex, logger);
    const failed = await store.syncPool(pool, wanted, 2_000).then(
      () => null,
      (err: Error) => err,
    );
    expect(syncCalls, 'three chunks, then the removal pass').to.equal(4);
    expect(failed?.message).to.match(/staging lost/);
    await expectConsistent(pool, wanted);
    expect(await store.occupancy(pool, 2_000)).to.deep.equal({ size: wanted.length, leasable: wanted.length, inUse: 0 });
  });
});
