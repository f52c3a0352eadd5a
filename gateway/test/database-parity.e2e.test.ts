import { expect } from 'chai';
import { openDatabase } from '../src/adapters/db/knex.js';
import type { Database } from '../src/adapters/db/knex.js';
import { migrateLatest, migrateRollback } from '../src/adapters/db/migrate.js';
import { PgAccountStore } from '../src/features/accounts/account-store.js';
import { PgSiteStore } from '../src/features/sites/site-store.js';
import { DEFAULT_SITE_SETTINGS } from '../src/features/sites/site-types.js';
import { newId } from '../src/shared/ids.js';
import { createTestDatabase } from './helpers/db.js';
import { testEnv } from './helpers/test-env.js';

/**
 * The same store behaviour on both drivers. With TEST_DATABASE_URL set this file runs every case twice: on a
 * PostgreSQL clone and on an in-process PGlite instance.
 */
const drivers: { name: string; open: () => Promise<Database & { dispose(): Promise<void> }> }[] = [
  {
    name: 'PGlite',
    open: async () => {
      const db = await openDatabase({ kind: 'pglite', dataDir: null });
      await migrateLatest(db.knex);
      return { ...db, dispose: () => db.close() };
    },
  },
];
if (testEnv.databaseUrl) drivers.push({ name: 'PostgreSQL', open: () => createTestDatabase() });

for (const driver of drivers) {
  describe(`database parity: ${driver.name}`, function () {
    this.timeout(60_000);
    let db: Database & { dispose(): Promise<void> };
    before(async () => {
      db = await driver.open();
    });
    after(() => db.dispose());

    it('returns counts and bigints as numbers, and update/delete row counts', async () => {
      const accounts = new PgAccountStore();
      await accounts.create(db.knex, { id: newId(), name: 'A' });
      await accounts.create(db.knex, { id: newId(), name: 'B' });
      expect(await accounts.count(db.knex)).to.equal(2);
      const updated = await db.knex('accounts').update({ name: 'C' }).whereIn('name', ['A', 'B']);
      expect(updated).to.equal(2);
      const raw = await db.knex.raw("update accounts set name = 'D' where name = ?", ['C']);
      expect(raw.rowCount).to.equal(2);
      expect((await db.knex.raw("select 9007199254740991::bigint as big, 12.5::numeric as amount, 'a;b' as s")).rows[0]).to.deep.equal({
        big: 9007199254740991,
        amount: 12.5,
        s: 'a;b',
      });
      expect(await db.knex('accounts').where({ name: 'D' }).del()).to.equal(2);
    });

    it('round-trips JSONB, timestamptz and unique violations the same way', async () => {
      const accountId = newId();
      await new PgAccountStore().create(db.knex, { id: accountId, name: 'J' });
      const sites = new PgSiteStore();
      const site = await sites.create(db.knex, {
        id: newId(),
        accountId,
        name: 's',
        publicKey: `pk-${accountId.slice(-8)}`,
        domains: ['a.example'],
        canonicalNumbers: ['+14155550100'],
        defaultForwardTo: null,
        timezone: 'UTC',
        settings: DEFAULT_SITE_SETTINGS,
      });
      expect(site.createdAt).to.be.instanceOf(Date);
      expect(site.canonicalNumbers).to.deep.equal(['+14155550100']);
      const merged = await sites.update(db.knex, accountId, site.id, { settings: { whisper: true } });
      expect(merged?.settings).to.deep.equal({ ...DEFAULT_SITE_SETTINGS, whisper: true });
      try {
        await sites.create(db.knex, { ...site, id: newId() });
        expect.fail('duplicate public key accepted');
      } catch (err) {
        expect((err as { code?: string }).code).to.equal('23505');
      }
    });

    it('commits and rolls back transactions, and queues concurrent ones without deadlock', async () => {
      await db.knex.transaction(async (trx) => {
        await trx('accounts').insert({ id: newId(), name: 'T1' });
      });
      await db.knex
        .transaction(async (trx) => {
          await trx('accounts').insert({ id: newId(), name: 'T2' });
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(await db.knex('accounts').where({ name: 'T1' }).count('* as n').first()).to.deep.equal({ n: 1 });
      expect(await db.knex('accounts').where({ name: 'T2' }).count('* as n').first()).to.deep.equal({ n: 0 });

      const n = 30;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          db.knex.transaction(async (trx) => {
            const [row] = await trx('accounts')
              .insert({ id: newId(), name: `P${i}` })
              .returning('id');
            await trx('accounts')
              .where({ id: row.id })
              .update({ name: `Q${i}` });
          }),
        ),
      );
      expect(await db.knex('accounts').where('name', 'like', 'Q%').count('* as n').first()).to.deep.equal({ n });
    });

    it('migrates down and up again', async () => {
      const down = await migrateRollback(db.knex, { all: true });
      expect(down.length).to.be.greaterThan(0);
      expect((await db.knex.raw("select to_regclass('public.calls') as t")).rows[0].t).to.equal(null);
      const up = await migrateLatest(db.knex);
      expect(up).to.deep.equal([...down].sort());
      expect((await db.knex.raw("select to_regclass('public.calls')::text as t")).rows[0].t).to.equal('calls');
    });
  });
}

describe('migrations at start', () => {
  it('let several replicas migrate one fresh PostgreSQL database at once', async function () {
    if (!testEnv.databaseUrl) this.skip();
    this.timeout(60_000);
    const db = await createTestDatabase();
    try {
      await migrateRollback(db.knex, { all: true });
      const replicas = await Promise.all([1, 2, 3].map(() => openDatabase({ kind: 'postgres', url: db.url!, poolMax: 2 })));
      try {
        const applied = await Promise.all(replicas.map((r) => migrateLatest(r.knex)));
        // One replica applies everything; the others wait for its lock and find nothing left to do.
        expect(applied.filter((a) => a.length > 0)).to.have.length(1);
        expect(applied.filter((a) => a.length === 0)).to.have.length(2);
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
      expect((await db.knex.raw("select to_regclass('public.calls')::text as t")).rows[0].t).to.equal('calls');
    } finally {
      await db.dispose();
    }
  });
});
