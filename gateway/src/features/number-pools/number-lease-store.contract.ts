import { expect } from 'chai';
import type { Db } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { DEFAULT_LEASE_POLICY } from './number-lease-store-type.js';
import type { LeaseOutcome, LeasePolicy, LeasePool, NumberLeaseStore, PoolNumber } from './number-lease-store-type.js';

/**
 * The contract every `NumberLeaseStore` passes (SQL on PGlite and PostgreSQL, Redis). Registered inside a describe
 * block; `ctx()` gives the store under test and the database its history lands in.
 */

const T0 = Date.parse('2026-03-01T10:00:00Z');
const S = 1000;
const POLICY: LeasePolicy = { ...DEFAULT_LEASE_POLICY, activeWindowMs: 120 * S, holdMs: 180 * S };

interface LeaseRow {
  id: string;
  e164: string;
  session_id: string;
  leased_at: Date;
  released_at: Date | null;
  release_reason: string | null;
  reclaimed_from: string | null;
}

type Leased = Extract<LeaseOutcome, { kind: 'leased' }>;

function leased(o: LeaseOutcome): Leased {
  if (o.kind !== 'leased') expect.fail('expected a lease, got blocked');
  return o;
}

export function leaseStoreContract(ctx: () => { store: NumberLeaseStore; db: Db }): void {
  let accountId: string;
  let seq = 0;

  before(async () => {
    accountId = newId();
    await ctx().db('accounts').insert({ id: accountId, name: 'lease contract' });
  });

  /** A fresh pool of `size` numbers with its own e164 range. */
  async function aPool(size: number, policy: Partial<LeasePolicy> = {}, now = T0): Promise<{ pool: LeasePool; numbers: PoolNumber[] }> {
    seq += 1;
    const pool: LeasePool = { id: newId(), accountId, policy: { ...POLICY, ...policy } };
    const numbers = Array.from({ length: size }, (_, i) => ({
      trackingNumberId: newId(),
      e164: `+1555${String(seq).padStart(3, '0')}${String(i).padStart(4, '0')}`,
      status: 'active' as const,
    }));
    await ctx().store.syncPool(pool, numbers, now);
    return { pool, numbers };
  }

  const history = async (poolId: string): Promise<LeaseRow[]> => {
    await ctx().store.flushHistory();
    return (await ctx().db('number_leases').where({ pool_id: poolId }).orderBy('leased_at').orderBy('id')) as LeaseRow[];
  };

  it('gives distinct numbers to distinct sessions and the same one back to a session that asks again', async () => {
    const { pool } = await aPool(3);
    const { store } = ctx();
    const a = leased(await store.lease(pool, { sessionId: 'a', visitorId: 'va', now: T0 }));
    const b = leased(await store.lease(pool, { sessionId: 'b', visitorId: 'vb', now: T0 + S }));
    expect(a.e164).to.not.equal(b.e164);
    const again = leased(await store.lease(pool, { sessionId: 'a', visitorId: 'va', now: T0 + 2 * S }));
    expect(again).to.include({ e164: a.e164, leaseId: a.leaseId, how: 'renewed', expiresAt: T0 + 2 * S + 300 * S });
  });

  it('hands out the least recently released number first', async () => {
    const { pool } = await aPool(3);
    const { store } = ctx();
    const got = [];
    for (const s of ['a', 'b', 'c']) got.push(leased(await store.lease(pool, { sessionId: s, visitorId: null, now: T0 })));
    await store.release(pool, 'b', T0 + 10 * S, 'left');
    await store.release(pool, 'a', T0 + 20 * S, 'left');
    const next = leased(await store.lease(pool, { sessionId: 'd', visitorId: null, now: T0 + 30 * S }));
    expect(next.e164, 'b was released first').to.equal(got[1]!.e164);
    const then = leased(await store.lease(pool, { sessionId: 'e', visitorId: null, now: T0 + 31 * S }));
    expect(then.e164).to.equal(got[0]!.e164);
  });

  it('counts a lapsed lease idle from its last heartbeat, so it goes before a number released later', async () => {
    const { pool } = await aPool(2);
    const { store } = ctx();
    const a = leased(await store.lease(pool, { sessionId: 'a', visitorId: null, now: T0 }));
    const b = leased(await store.lease(pool, { sessionId: 'b', visitorId: null, now: T0 + S }));
    // a goes quiet at once (its lease lapses at +300 s); b leaves at +200 s, before a's lease ends.
    await store.release(pool, 'b', T0 + 200 * S, 'left');
    await store.sweep(pool, T0 + 400 * S);
    const next = leased(await store.lease(pool, { sessionId: 'c', visitorId: null, now: T0 + 400 * S }));
    expect(next.e164, "a's visitor was last seen at 0 s, b's at 200 s").to.equal(a.e164);
    expect(b.e164).to.not.equal(a.e164);
    const rows = await history(pool.id);
    expect(rows.find((r) => r.id === a.leaseId)!.released_at!.getTime(), 'the history keeps the real end').to.equal(T0 + 300 * S);
  });

  it('ends a lease a hold period after the last heartbeat, not a fixed time after the start', async () => {
    const { pool, numbers } = await aPool(1);
    const { store } = ctx();
    const a = leased(await store.lease(pool, { sessionId: 'a', visitorId: 'va', now: T0 }));
    expect(await store.heartbeat(pool, 'a', T0 + 250 * S)).to.equal(T0 + 550 * S);
    expect(await store.sweep(pool, T0 + 500 * S)).to.equal(0);
    expect((await store.currentHolder(numbers[0]!.e164, T0 + 500 * S))?.sessionId).to.equal('a');
    expect(await store.sweep(pool, T0 + 551 * S)).to.equal(1);
    expect(await store.heartbeat(pool, 'a', T0 + 552 * S)).to.equal(null);
    expect(await store.currentHolder(numbers[0]!.e164, T0 + 552 * S)).to.equal(null);
    const rows = await history(pool.id);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ id: a.leaseId, release_reason: 'expired' });
    expect(rows[0]!.released_at!.getTime(), 'released when the hold ran out').to.equal(T0 + 550 * S);
  });

  it('answers many holder lookups at once as it answers each alone', async () => {
    const { pool, numbers } = await aPool(3);
    const { store } = ctx();
    leased(await store.lease(pool, { sessionId: 'a', visitorId: 'va', now: T0 }));
    leased(await store.lease(pool, { sessionId: 'b', visitorId: null, now: T0 + 10 * S }));
    // Before, during and after each lease, on every number (the third never leased), and one number nobody has.
    const items = [...numbers.map((n) => n.e164), '+15550009999'].flatMap((e164) => [0, 5, 15, 25, 400].map((s) => ({ e164, at: T0 + s * S })));
    const one = await Promise.all(items.map((it) => store.currentHolder(it.e164, it.at)));
    expect(one.filter((h) => h !== null).length, 'some lookups find a holder').to.equal(6);
    const many = store.currentHolders ? await store.currentHolders(items) : one;
    expect(many).to.deep.equal(one);
    if (store.currentHolders) expect(await store.currentHolders([])).to.deep.equal([]);
  });

  it('gives a returning visitor its previous number when nobody else took it', async () => {
    const { pool } = await aPool(3);
    const { store } = ctx();
    const first = leased(await store.lease(pool, { sessionId: 's1', visitorId: 'v', now: T0 }));
    await store.lease(pool, { sessionId: 'x', visitorId: 'vx', now: T0 });
    await store.release(pool, 's1', T0 + 10 * S, 'left');
    await store.release(pool, 'x', T0 + 20 * S, 'left');
    // LRU alone would give the third, never-used number; sticky gives v its own back.
    const back = leased(await store.lease(pool, { sessionId: 's2', visitorId: 'v', now: T0 + 30 * S }));
    expect(back).to.include({ e164: first.e164, how: 'sticky' });
  });

  it('does not give a visitor its previous number once someone else has held it', async () => {
    const { pool } = await aPool(2);
    const { store } = ctx();
    const first = leased(await store.lease(pool, { sessionId: 's1', visitorId: 'v', now: T0 }));
    await store.release(pool, 's1', T0 + S, 'left');
    await store.lease(pool, { sessionId: 'o1', visitorId: 'other', now: T0 + 2 * S });
    const taken = leased(await store.lease(pool, { sessionId: 'o2', visitorId: 'other2', now: T0 + 3 * S }));
    expect(taken.e164).to.equal(first.e164);
    await store.release(pool, 'o2', T0 + 4 * S, 'left');
    const back = leased(await store.lease(pool, { sessionId: 's2', visitorId: 'v', now: T0 + 5 * S }));
    expect(back.how).to.equal('free');
  });

  it('reclaims the longest-inactive holder past the active window, else answers blocked', async () => {
    const { pool } = await aPool(2);
    const { store } = ctx();
    const a = leased(await store.lease(pool, { sessionId: 'a', visitorId: null, now: T0 }));
    leased(await store.lease(pool, { sessionId: 'b', visitorId: null, now: T0 + 10 * S }));
    expect((await store.lease(pool, { sessionId: 'c', visitorId: null, now: T0 + 60 * S })).kind, 'everyone is active').to.equal('blocked');
    await store.heartbeat(pool, 'b', T0 + 100 * S);
    const c = leased(await store.lease(pool, { sessionId: 'c', visitorId: null, now: T0 + 130 * S }));
    expect(c).to.include({ e164: a.e164, how: 'reclaimed', reclaimedFrom: a.leaseId });
    expect(await store.heartbeat(pool, 'a', T0 + 131 * S), 'a lost its number').to.equal(null);
    expect((await store.lease(pool, { sessionId: 'd', visitorId: null, now: T0 + 140 * S })).kind, 'b still heartbeats').to.equal('blocked');
    const holder = await store.currentHolder(a.e164, T0 + 140 * S);
    expect(holder).to.include({ sessionId: 'c', reclaimed: true, poolId: pool.id });
    const rows = await history(pool.id);
    const old = rows.find((r) => r.id === a.leaseId)!;
    expect(old).to.include({ release_reason: 'reclaimed' });
    expect(old.released_at!.getTime()).to.equal(T0 + 130 * S);
    expect(rows.find((r) => r.id === c.leaseId)).to.include({ reclaimed_from: a.leaseId });
  });

  it('never reclaims when the pool says not to', async () => {
    const { pool } = await aPool(1, { reclaim: false });
    const { store } = ctx();
    leased(await store.lease(pool, { sessionId: 'a', visitorId: null, now: T0 }));
    expect((await store.lease(pool, { sessionId: 'b', visitorId: null, now: T0 + 200 * S })).kind).to.equal('blocked');
  });

  it('keeps a paused number with its holder but never leases it again; drops removed numbers with an admin release', async () => {
    const { pool, numbers } = await aPool(2);
    const { store } = ctx();
    const a = leased(await store.lease(pool, { sessionId: 'a', visitorId: null, now: T0 }));
    const b = leased(await store.lease(pool, { sessionId: 'b', visitorId: null, now: T0 }));
    const pausedNumbers = numbers.map((n) => (n.e164 === a.e164 ? { ...n, status: 'paused' as const } : n));
    await store.syncPool(pool, pausedNumbers, T0 + S);
    expect(await store.heartbeat(pool, 'a', T0 + 2 * S), 'still held').to.be.a('number');
    await store.release(pool, 'a', T0 + 3 * S, 'left');
    expect((await store.lease(pool, { sessionId: 'c', visitorId: null, now: T0 + 4 * S })).kind).to.equal('blocked');
    expect(await store.occupancy(pool, T0 + 4 * S)).to.deep.equal({ size: 2, leasable: 1, inUse: 1 });

    const extra = { trackingNumberId: newId(), e164: `+1555999${String(seq).padStart(4, '0')}`, status: 'active' as const };
    await store.syncPool(pool, [pausedNumbers.find((n) => n.e164 === a.e164)!, extra], T0 + 5 * S);
    expect(await store.heartbeat(pool, 'b', T0 + 6 * S), "b's number left the pool").to.equal(null);
    expect(leased(await store.lease(pool, { sessionId: 'c', visitorId: null, now: T0 + 7 * S })).e164).to.equal(extra.e164);
    const rows = await history(pool.id);
    expect(rows.find((r) => r.id === b.leaseId)).to.include({ release_reason: 'admin' });
  });

  it('records every lease as a half-open range that answers "who held this number at t"', async () => {
    const { pool, numbers } = await aPool(1);
    const { store, db } = ctx();
    const a = leased(await store.lease(pool, { sessionId: 'a', visitorId: 'va', now: T0 }));
    await store.release(pool, 'a', T0 + 60 * S, 'left');
    const b = leased(await store.lease(pool, { sessionId: 'b', visitorId: 'vb', now: T0 + 60 * S }));
    await history(pool.id);
    const at = async (t: number) =>
      (
        (await db('number_leases')
          .where({ e164: numbers[0]!.e164 })
          .where('leased_at', '<=', new Date(t))
          .where((q) => q.whereNull('released_at').orWhere('released_at', '>', new Date(t)))
          .select('id')) as { id: string }[]
      ).map((r) => r.id);
    expect(await at(T0 + 30 * S)).to.deep.equal([a.leaseId]);
    expect(await at(T0 + 60 * S), 'the boundary belongs to the next holder').to.deep.equal([b.leaseId]);
    expect(await at(T0 - S)).to.deep.equal([]);
  });

  it('never gives one number to two live sessions, nor the fallback while a number is free, under 300 parallel leases', async () => {
    const { pool } = await aPool(20);
    const { store } = ctx();
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => store.lease(pool, { sessionId: `p${i}`, visitorId: `v${i}`, now: T0 })));
    const won = outcomes.filter((o): o is Leased => o.kind === 'leased');
    expect(won, 'all 20 numbers are given out').to.have.length(20);
    expect(new Set(won.map((o) => o.e164)).size).to.equal(20);
    expect((await store.occupancy(pool, T0)).inUse).to.equal(20);
  });

  it('serves all of 20 simultaneous visitors from 20 free numbers', async () => {
    const { pool } = await aPool(20);
    const { store } = ctx();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.lease(pool, { sessionId: `q${i}`, visitorId: null, now: T0 })));
    expect(outcomes.filter((o) => o.kind === 'blocked')).to.have.length(0);
    expect(new Set(outcomes.map((o) => leased(o).e164)).size).to.equal(20);
  });

  it('keeps numbers exclusive through parallel churn of leases, renewals, heartbeats and releases', async () => {
    const { pool, numbers } = await aPool(8);
    const { store } = ctx();
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const sid = `c${i % 25}`;
      // One instant for all: the order of execution, not the clock, is what varies.
      const now = T0 + 1_000;
      if (i % 7 === 3) ops.push(store.release(pool, sid, now, 'left'));
      else if (i % 5 === 1) ops.push(store.heartbeat(pool, sid, now));
      else ops.push(store.lease(pool, { sessionId: sid, visitorId: `v${i % 25}`, now }));
    }
    await Promise.all(ops);
    const at = T0 + 2_000;
    const holders = await Promise.all(numbers.map((n) => store.currentHolder(n.e164, at)));
    const sessions = holders.filter((h) => h !== null).map((h) => h.sessionId);
    expect(new Set(sessions).size, 'no session holds two numbers').to.equal(sessions.length);
    const rows = await history(pool.id);
    const open = rows.filter((r) => r.released_at === null);
    expect(open).to.have.length(sessions.length);
    expect(new Set(open.map((r) => r.e164)).size, 'at most one open lease per number').to.equal(open.length);
    // Per number, the history's ranges never overlap.
    for (const n of numbers) {
      const ranges = rows.filter((r) => r.e164 === n.e164);
      for (let i = 1; i < ranges.length; i++) {
        const prevEnd = ranges[i - 1]!.released_at;
        expect(prevEnd, `${n.e164} lease ${i - 1} is closed before the next`).to.not.equal(null);
        expect(prevEnd!.getTime()).to.be.at.most(ranges[i]!.leased_at.getTime());
      }
    }
  });
}
