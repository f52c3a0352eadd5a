import { SqlNumberLeaseStore } from '../../adapters/db/sql-number-lease-store.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { leaseStoreContract } from './number-lease-store.contract.js';

describe('SQL number lease store (PostgreSQL or PGlite)', () => {
  const t = useTestDatabase();
  leaseStoreContract(() => ({ store: new SqlNumberLeaseStore(t.db.knex), db: t.db.knex }));
});
