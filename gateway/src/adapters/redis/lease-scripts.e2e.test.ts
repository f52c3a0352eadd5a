import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { useTestRedis } from '../../../test/helpers/redis.js';
import { DEFAULT_LEASE_POLICY } from '../../features/number-pools/number-lease-store-type.js';
import type { LeasePool } from '../../features/number-pools/number-lease-store-type.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { RedisNumberLeaseStore } from './redis-number-lease-store.js';

/** What the lease scripts leave in Redis where the contract suite does not look: hold TTLs, history entries, expiry. */
describe('Redis lease scripts: holds, history entries, ended leases', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  const logger = createLogger({ level: 'silent' });
  const now = 1_000_000;
  const S = 1_000;
  const span = DEFAULT_LEASE_POLICY.activeWindowMs + DEFAULT_LEASE_POLICY.holdMs;
  let accountId: string;

  before(async () => {
    accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'lease scripts' });
  });

  async function pool(size: number): Promise<{ p: LeasePool; store: RedisNumberLeaseStore; key: (part: string) => string }> {
    const p = { id: newId(), accountId, policy: DEFAULT_LEASE_POLICY };
    const store = new RedisNumberLeaseStore(r.redis, t.db.knex, logger);
    const numbers = Array.from({ length: size }, (_, i) => ({
      trackingNumberId: newId(),
      e164: `+1555888${String(i).padStart(4, '0')}`,
      status: 'active' as const,
    }));
    await store.syncPool(p, numbers, now - 1);
    return { p, store, key: (part) => `${r.redis.keyPrefix}lp:{${p.id}}:${part}` };
  }
  const holdKey = (p: LeasePool, part: string) => `${r.redis.keyPrefix}hold:{${p.id}}:${part}`;
  /** A TTL a call just set to the lease's span (the server's clock moved a little since). */
  const expectSpan = (ttl: number, what: string) => expect(ttl, what).to.be.within(span - 5_000, span);

  it('gives every hold set and record the lease end as TTL: a first set, a renewal, a second session in a set', async () => {
    const { p, store } = await pool(5);
    const caps = { perVisitor: 2, perAddress: 3, address: '198.51.100.7' };
    const c = r.redis.client;
    expect((await store.lease(p, { sessionId: 's1', visitorId: 'v1', now, holds: caps })).kind).to.equal('leased');
    for (const part of ['v:v1', 'a:198.51.100.7', 's:s1']) expectSpan(await c.pTTL(holdKey(p, part)), `first ${part}`);
    // Page two an hour of the caller's clock later: the sets exist, the session is in them (the GT path).
    await c.pExpire(holdKey(p, 'v:v1'), 10_000);
    expect((await store.lease(p, { sessionId: 's1', visitorId: 'v1', now: now + 60 * S, holds: caps })).kind).to.equal('leased');
    expectSpan(await c.pTTL(holdKey(p, 'v:v1')), 'renewed visitor set');
    // A second session of the visitor joins the existing set (the PTTL path) and is counted with the first.
    await c.pExpire(holdKey(p, 'v:v1'), 10_000);
    expect((await store.lease(p, { sessionId: 's2', visitorId: 'v1', now: now + 60 * S, holds: caps })).kind).to.equal('leased');
    expectSpan(await c.pTTL(holdKey(p, 'v:v1')), 'visitor set with a second session');
    expect(await c.zCard(holdKey(p, 'v:v1'))).to.equal(2);
    const third = await store.lease(p, { sessionId: 's3', visitorId: 'v1', now: now + 60 * S, holds: caps });
    expect(third.kind === 'blocked' && third.capped).to.equal('visitor');
    // A set whose holds all ended is dropped by the next check, and counted afresh with a TTL.
    const later = now + 60 * S + span + S;
    expect((await store.lease(p, { sessionId: 's4', visitorId: 'v1', now: later, holds: caps })).kind).to.equal('leased');
    expect(await c.zRange(holdKey(p, 'v:v1'), 0, -1)).to.deep.equal(['s4']);
    expectSpan(await c.pTTL(holdKey(p, 'v:v1')), 'set counted afresh');
  });

  it('leases to ids minted for the request without looking them up, and counts their holds the same', async () => {
    const { p, store } = await pool(3);
    const c = r.redis.client;
    const caps = { perVisitor: 1, perAddress: 2, address: '198.51.100.9' };
    const minted = { session: true, visitor: true };
    const first = await store.lease(p, { sessionId: 'm1', visitorId: 'mv1', now, holds: caps, minted });
    expect(first.kind === 'leased' && first.how).to.equal('free');
    for (const part of ['v:mv1', 'a:198.51.100.9', 's:m1']) expectSpan(await c.pTTL(holdKey(p, part)), `minted ${part}`);
    // The visitor's second session (minted, the visitor known) meets the visitor cap counted by the first.
    const second = await store.lease(p, { sessionId: 'm2', visitorId: 'mv1', now, holds: caps, minted: { session: true, visitor: false } });
    expect(second.kind === 'blocked' && second.capped).to.equal('visitor');
    const again = await store.lease(p, { sessionId: 'm1', visitorId: 'mv1', now: now + S, holds: caps });
    expect(again.kind === 'leased' && again.how, 'page two finds the minted session').to.equal('renewed');
    const other = await store.lease(p, { sessionId: 'm3', visitorId: 'mv3', now, holds: caps, minted });
    expect(other.kind === 'leased' && other.e164).to.not.equal(first.kind === 'leased' && first.e164);
    const third = await store.lease(p, { sessionId: 'm4', visitorId: 'mv4', now, holds: caps, minted });
    expect(third.kind === 'blocked' && third.capped, 'the address cap counts minted sessions').to.equal('address');
  });

  it('appends history as values by position and still flushes entries appended with field names', async () => {
    const { p, store, key } = await pool(2);
    const a = await store.lease(p, { sessionId: 'h1', visitorId: 'hv1', now });
    if (a.kind !== 'leased') expect.fail('leased');
    await store.release(p, 'h1', now + 5 * S, 'left');
    const entries = (await r.redis.client.sendCommand(['XRANGE', key('log'), '-', '+'])) as [string, string[]][];
    expect(entries.map(([, f]) => f)).to.deep.equal([
      ['lease', a.leaseId, accountId, p.id, a.trackingNumberId, a.e164, 'h1', 'hv1', String(now), ''],
      ['release', a.leaseId, accountId, p.id, a.trackingNumberId, a.e164, 'h1', 'hv1', String(now), '', String(now + 5 * S), 'left'],
    ]);
    // An entry from before (name/value pairs) that was still in the stream when this version started.
    const old = newId();
    await r.redis.client.sendCommand(
      ['XADD', key('log'), '*', 'ev', 'release', 'id', old, 'acc', accountId, 'pool', p.id, 'num', a.trackingNumberId, 'e164', a.e164].concat([
        's',
        'h0',
        'v',
        '',
        'a',
        String(now - 60 * S),
        'r',
        '',
        'at',
        String(now - 30 * S),
        'why',
        'expired',
      ]),
    );
    expect(await store.flushHistory(), 'every pool of the file is flushed').to.be.at.least(3);
    const rows = await t.db.knex('number_leases').where({ pool_id: p.id }).orderBy('leased_at');
    expect(rows.map((x) => [x.id, x.session_id, x.visitor_id, Number(x.leased_at), Number(x.released_at), x.release_reason])).to.deep.equal([
      [old, 'h0', null, now - 60 * S, now - 30 * S, 'expired'],
      [a.leaseId, 'h1', 'hv1', now, now + 5 * S, 'left'],
    ]);
  });

  it('leaves ended leases of others to the next lease that takes a number, which ends them at their expiry', async () => {
    const { p, store, key } = await pool(3);
    const a = await store.lease(p, { sessionId: 'e1', visitorId: null, now });
    const b = await store.lease(p, { sessionId: 'e2', visitorId: null, now });
    if (a.kind !== 'leased' || b.kind !== 'leased') expect.fail('leased');
    expect(await store.heartbeat(p, 'e1', now + 200 * S)).to.equal(now + 200 * S + span);
    // e2's lease ended at now + span; e1's page two after that renews without looking at it.
    const renewed = await store.lease(p, { sessionId: 'e1', visitorId: null, now: now + span + S });
    expect(renewed.kind === 'leased' && renewed.how).to.equal('renewed');
    expect(Number(await r.redis.client.hExists(key('holders'), b.e164)), 'not ended by a renewal').to.equal(1);
    expect((await store.lease(p, { sessionId: 'e3', visitorId: null, now: now + span + 2 * S })).kind).to.equal('leased');
    expect(Number(await r.redis.client.hExists(key('holders'), b.e164)), 'ended by the next lease').to.equal(0);
    await store.flushHistory();
    const row = await t.db.knex('number_leases').where({ id: b.leaseId }).first();
    expect([Number(row.released_at), row.release_reason]).to.deep.equal([now + span, 'expired']);
  });
});
