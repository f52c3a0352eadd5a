import { expect } from 'chai';
import { MemoryNumberLeaseStore } from '../../adapters/memory/memory-number-lease-store.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { leaseStoreContract } from './number-lease-store.contract.js';
import { DEFAULT_LEASE_POLICY } from './number-lease-store-type.js';
import type { LeaseOutcome, LeasePool } from './number-lease-store-type.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const S = 1000;
const logger = createLogger({ level: 'silent' });

function leased(o: LeaseOutcome): Extract<LeaseOutcome, { kind: 'leased' }> {
  if (o.kind !== 'leased') expect.fail('expected a lease, got blocked');
  return o;
}

describe('in-memory number lease store (embedded mode, write-behind to SQL)', () => {
  const t = useTestDatabase();
  let store: MemoryNumberLeaseStore | null = null;
  leaseStoreContract(() => {
    store ??= new MemoryNumberLeaseStore(t.db.knex, logger);
    return { store, db: t.db.knex };
  });
  after(() => store?.stop());

  describe('restart', () => {
    let accountId: string;
    before(async () => {
      accountId = newId();
      await t.db.knex('accounts').insert({ id: accountId, name: 'restart' });
    });
    const aPool = async (s: MemoryNumberLeaseStore, size: number): Promise<{ pool: LeasePool; e164s: string[] }> => {
      const pool: LeasePool = { id: newId(), accountId, policy: DEFAULT_LEASE_POLICY };
      const base = 1000 + Math.floor(Math.random() * 8999);
      const numbers = Array.from({ length: size }, (_, i) => ({
        trackingNumberId: newId(),
        e164: `+1777${base}${String(i).padStart(3, '0')}`,
        status: 'active' as const,
      }));
      await s.syncPool(pool, numbers, T0);
      return { pool, e164s: numbers.map((n) => n.e164) };
    };

    it('rebuilds holders, free order and sticky numbers from the tables after a clean stop', async () => {
      const a = new MemoryNumberLeaseStore(t.db.knex, logger);
      const { pool, e164s } = await aPool(a, 3);
      const la = leased(await a.lease(pool, { sessionId: 'ra', visitorId: 'va', now: T0 }));
      const lb = leased(await a.lease(pool, { sessionId: 'rb', visitorId: 'vb', now: T0 + S }));
      await a.release(pool, 'rb', T0 + 2 * S, 'left');
      await a.stop();

      const b = new MemoryNumberLeaseStore(t.db.knex, logger);
      expect(await b.heartbeat(pool, 'ra', T0 + 10 * S), 'the holder survives the restart').to.equal(T0 + 310 * S);
      expect((await b.currentHolder(la.e164, T0 + 10 * S))?.sessionId).to.equal('ra');
      expect(await b.occupancy(pool, T0 + 10 * S)).to.deep.equal({ size: 3, leasable: 3, inUse: 1 });
      const back = leased(await b.lease(pool, { sessionId: 'rb2', visitorId: 'vb', now: T0 + 11 * S }));
      expect(back, "vb's own number, as before the restart").to.include({ e164: lb.e164, how: 'sticky' });
      const next = leased(await b.lease(pool, { sessionId: 'rc', visitorId: null, now: T0 + 12 * S }));
      expect(next.e164, 'the never-used number').to.equal(e164s.find((e) => e !== la.e164 && e !== lb.e164));
      await b.stop();
      const rows = (await t.db.knex('number_leases').where({ pool_id: pool.id }).orderBy('leased_at')) as { id: string; released_at: Date | null }[];
      expect(rows.map((r) => r.id)).to.deep.equal([la.leaseId, lb.leaseId, back.leaseId, next.leaseId]);
      expect(rows.filter((r) => r.released_at === null)).to.have.length(3);
    });

    it('after a crash comes back as of its last flush: a lease started after it is unknown and its number free', async () => {
      // A flush interval longer than the test: only explicit flushes write anything.
      const a = new MemoryNumberLeaseStore(t.db.knex, logger, { flushMs: 3_600_000 });
      const { pool } = await aPool(a, 2);
      const kept = leased(await a.lease(pool, { sessionId: 'ka', visitorId: null, now: T0 }));
      await a.flushHistory();
      const lost = leased(await a.lease(pool, { sessionId: 'kb', visitorId: null, now: T0 + S }));
      // The process dies here: `a` is never flushed or stopped again.

      const b = new MemoryNumberLeaseStore(t.db.knex, logger);
      expect(await b.heartbeat(pool, 'ka', T0 + 5 * S)).to.be.a('number');
      expect(await b.heartbeat(pool, 'kb', T0 + 5 * S), 'started after the last flush').to.equal(null);
      const again = leased(await b.lease(pool, { sessionId: 'kc', visitorId: null, now: T0 + 6 * S }));
      expect(again.e164).to.equal(lost.e164);
      await b.flushHistory();
      const ids = ((await t.db.knex('number_leases').where({ pool_id: pool.id }).select('id')) as { id: string }[]).map((r) => r.id);
      expect(ids).to.have.members([kept.leaseId, again.leaseId]);
      await b.stop();
    });

    it('writes changes behind without being asked, within its flush interval', async () => {
      const a = new MemoryNumberLeaseStore(t.db.knex, logger, { flushMs: 20 });
      const { pool } = await aPool(a, 1);
      const l = leased(await a.lease(pool, { sessionId: 'wa', visitorId: null, now: T0 }));
      const until = Date.now() + 5_000;
      let row: { session_id: string | null } | undefined;
      while (Date.now() < until) {
        row = (await t.db.knex('number_lease_state').where({ pool_id: pool.id }).first('session_id')) as typeof row;
        if (row?.session_id === 'wa') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(row?.session_id).to.equal('wa');
      expect(await t.db.knex('number_leases').where({ id: l.leaseId }).first('id')).to.deep.equal({ id: l.leaseId });
      await a.stop();
    });

    it('writes two sessions that swapped numbers within one flush interval', async () => {
      const a = new MemoryNumberLeaseStore(t.db.knex, logger, { flushMs: 3_600_000 });
      const { pool } = await aPool(a, 2);
      const one = leased(await a.lease(pool, { sessionId: 'swap-a', visitorId: 'vswapa', now: T0 }));
      const two = leased(await a.lease(pool, { sessionId: 'swap-b', visitorId: 'vswapb', now: T0 }));
      await a.flushHistory();
      await a.release(pool, 'swap-a', T0 + S, 'left');
      await a.release(pool, 'swap-b', T0 + S, 'left');
      // Each session comes back with the other's visitor id: the sticky numbers swap holders.
      expect(leased(await a.lease(pool, { sessionId: 'swap-b', visitorId: 'vswapa', now: T0 + 2 * S })).e164).to.equal(one.e164);
      expect(leased(await a.lease(pool, { sessionId: 'swap-a', visitorId: 'vswapb', now: T0 + 2 * S })).e164).to.equal(two.e164);
      await a.flushHistory();
      const rows = (await t.db.knex('number_lease_state').where({ pool_id: pool.id }).select('e164', 'session_id')) as {
        e164: string;
        session_id: string;
      }[];
      expect(Object.fromEntries(rows.map((r) => [r.e164, r.session_id]))).to.deep.equal({ [one.e164]: 'swap-b', [two.e164]: 'swap-a' });
      await a.stop();
    });

    it('writes a flush in a few statements whatever the number of leases it carries', async () => {
      // bench:dni had one UPDATE per ended lease: thousands of statements a second on PGlite's one connection.
      const a = new MemoryNumberLeaseStore(t.db.knex, logger, { flushMs: 3_600_000 });
      const size = 300;
      const { pool } = await aPool(a, size);
      const leases = [];
      for (let i = 0; i < size; i++) leases.push(leased(await a.lease(pool, { sessionId: `bulk${i}`, visitorId: `vbulk${i}`, now: T0 })));
      const statements: string[] = [];
      const count = (q: { sql: string }): void => {
        statements.push(q.sql);
      };
      t.db.knex.on('query', count);
      try {
        await a.flushHistory();
        const opened = statements.length;
        for (let i = 0; i < size; i += 2) await a.release(pool, `bulk${i}`, T0 + 5 * S, 'left');
        await a.flushHistory();
        expect(opened, 'statements of a flush that opened 300 leases').to.be.at.most(8);
        expect(statements.length - opened, 'statements of a flush that ended 150 of them').to.be.at.most(8);
      } finally {
        t.db.knex.removeListener('query', count);
      }
      const rows = (await t.db.knex('number_leases').where({ pool_id: pool.id }).select('id', 'session_id', 'released_at', 'release_reason')) as {
        id: string;
        session_id: string;
        released_at: Date | null;
        release_reason: string | null;
      }[];
      expect(rows.map((r) => r.id).sort()).to.deep.equal(leases.map((l) => l.leaseId).sort());
      for (const r of rows) {
        const ended = Number(r.session_id.slice(4)) % 2 === 0;
        expect(r.released_at?.getTime() ?? null, r.session_id).to.equal(ended ? T0 + 5 * S : null);
        expect(r.release_reason, r.session_id).to.equal(ended ? 'left' : null);
      }
      const state = (await t.db.knex('number_lease_state').where({ pool_id: pool.id }).whereNotNull('session_id').count('* as n').first()) as {
        n: number | string;
      };
      expect(Number(state.n), 'numbers still held').to.equal(size / 2);
      await a.stop();
    });
  });
});
