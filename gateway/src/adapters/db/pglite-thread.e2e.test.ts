import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { leaseStoreContract } from '../../features/number-pools/number-lease-store.contract.js';
import { createLogger } from '../../logging/logger.js';
import { MemoryNumberLeaseStore } from '../memory/memory-number-lease-store.js';
import { openDatabase } from './knex.js';
import type { Database } from './knex.js';
import { migrateLatest } from './migrate.js';

describe('embedded database on its own thread', () => {
  let dir: string;
  let db: Database;
  let store: MemoryNumberLeaseStore | null = null;

  before(async function () {
    this.timeout(120_000);
    dir = mkdtempSync(path.join(tmpdir(), 'pglite-thread-'));
    db = await openDatabase({ kind: 'pglite', dataDir: dir });
    await migrateLatest(db.knex);
  });
  after(async () => {
    await store?.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs on a worker thread, with the same types, errors and transactions as in process', async () => {
    expect(db.pglite, 'no in-process instance').to.equal(null);
    const r = await db.knex.raw(`select count(*)::int8 as n, now() as t, '{"a":1}'::jsonb as j, '\\x0102'::bytea as b, 1.5::numeric as x`);
    const row = r.rows[0] as { n: number; t: Date; j: unknown; b: Uint8Array; x: number };
    expect(row.n).to.equal(1);
    expect(row.t).to.be.instanceOf(Date);
    expect(row.j).to.deep.equal({ a: 1 });
    expect([...row.b]).to.deep.equal([1, 2]);
    expect(row.x).to.equal(1.5);
    await db.knex('accounts').insert({ id: 'thread-a', name: 'a' });
    const dup = await db
      .knex('accounts')
      .insert({ id: 'thread-a', name: 'b' })
      .catch((e: unknown) => e);
    expect(dup).to.be.instanceOf(Error);
    expect((dup as { code?: string }).code, 'PostgreSQL error code kept').to.equal('23505');
    await db.knex
      .transaction(async (trx) => {
        await trx('accounts').insert({ id: 'thread-b', name: 'b' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await db.knex('accounts').where({ id: 'thread-b' }).first()).to.equal(undefined);
    await db.knex.raw('create temp table t1 (x int); insert into t1 values (1); insert into t1 values (2);');
    expect(((await db.knex.raw('select count(*) as n from t1')).rows[0] as { n: number }).n).to.equal(2);
  });

  it('runs with the buffer pool and maintenance memory capped, which bound its WASM memory', async () => {
    const show = async (name: string): Promise<string> => ((await db.knex.raw(`show ${name}`)).rows[0] as Record<string, string>)[name] ?? '';
    expect(await show('shared_buffers')).to.equal('32MB');
    expect(await show('maintenance_work_mem')).to.equal('16MB');
  });

  describe('the in-memory lease engine writing behind to it', () => {
    leaseStoreContract(() => {
      store ??= new MemoryNumberLeaseStore(db.knex, createLogger({ level: 'silent' }));
      return { store, db: db.knex };
    });
  });
});
