import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { upsertHistory } from './lease-history-flusher.js';
import type { HistoryRow } from './lease-history-flusher.js';

/** The lease history the Redis stream flusher writes: idempotent per lease id, and a release that touches no index. */
describe('lease history upsert', () => {
  const t = useTestDatabase();
  const logger = createLogger({ level: 'silent' });
  const accountId = newId();
  const leasedAt = new Date('2026-12-04T10:00:00.000Z');
  const releasedAt = new Date('2026-12-04T10:00:10.000Z');

  before(async () => {
    await t.db.knex('accounts').insert({ id: accountId, name: 'History' });
  });

  const row = (i: number, released: boolean): HistoryRow => ({
    id: `lease-${i}`,
    account_id: accountId,
    pool_id: 'pool-h',
    tracking_number_id: `num-${i}`,
    e164: `+1555888${String(i).padStart(4, '0')}`,
    session_id: `session-${i}`,
    visitor_id: i % 2 ? `visitor-${i}` : null,
    leased_at: leasedAt,
    released_at: released ? releasedAt : null,
    release_reason: released ? 'expired' : null,
    reclaimed_from: i % 3 ? null : 'session-x',
  });

  const stored = async (id: string) =>
    (await t.db.knex('number_leases').where({ id }).first()) as Record<string, unknown> & { leased_at: Date; released_at: Date | null };

  it('writes a lease, its release, and ignores a replayed lease event after the release', async () => {
    await upsertHistory(t.db.knex, [row(1, false), row(2, false)], logger);
    expect(await stored('lease-1')).to.include({ session_id: 'session-1', visitor_id: 'visitor-1', released_at: null, reclaimed_from: null });
    expect((await stored('lease-2')).leased_at.toISOString()).to.equal(leasedAt.toISOString());
    await upsertHistory(t.db.knex, [row(1, true)], logger);
    await upsertHistory(t.db.knex, [row(1, false)], logger);
    const r = await stored('lease-1');
    expect(r.released_at?.toISOString()).to.equal(releasedAt.toISOString());
    expect(r.release_reason).to.equal('expired');
    // A lease and its release in one batch become one row.
    await upsertHistory(t.db.knex, [row(3, false), row(3, true)], logger);
    expect((await stored('lease-3')).released_at?.toISOString()).to.equal(releasedAt.toISOString());
    expect((await stored('lease-3')).reclaimed_from).to.equal('session-x');
  });

  it('ends leases with heap-only updates: a release writes no index entry (PostgreSQL statistics)', async function () {
    if (t.db.kind !== 'postgres') this.skip();
    const n = 400;
    const ids = Array.from({ length: n }, (_, i) => 1_000 + i);
    await upsertHistory(
      t.db.knex,
      ids.map((i) => row(i, false)),
      logger,
    );
    // The backend's own counters around the release (pg_stat_get_xact_*: also what it has not reported yet), so other
    // backends' writes do not count.
    const counts = await t.db.knex.transaction(async (trx) => {
      const read = async () =>
        (
          (await trx.raw(
            `SELECT pg_stat_get_xact_tuples_updated('number_leases'::regclass)::int AS upd,
               pg_stat_get_xact_tuples_hot_updated('number_leases'::regclass)::int AS hot`,
          )) as { rows: { upd: number; hot: number }[] }
        ).rows[0]!;
      const before = await read();
      // Released in lease order, one batch: every row of a page gets its new version in the same transaction.
      await upsertHistory(
        trx,
        ids.map((i) => row(i, true)),
        logger,
      );
      const after = await read();
      return { upd: after.upd - before.upd, hot: after.hot - before.hot };
    });
    expect(counts.upd).to.equal(n);
    expect(counts.hot, 'releases that were heap-only updates').to.equal(n);
  });
});
