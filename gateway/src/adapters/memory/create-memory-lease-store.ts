import type { Logger } from '../../logging/logger.js';
import type { Db } from '../db/knex.js';
import { MemoryNumberLeaseStore } from './memory-number-lease-store.js';

/** The embedded mode's lease engine; its final flush runs with the other cleanups, before the database closes. */
export function memoryLeaseStore(db: Db, logger: Logger, cleanup: (() => Promise<void>)[]): MemoryNumberLeaseStore {
  const store = new MemoryNumberLeaseStore(db, logger);
  cleanup.push(() => store.stop());
  return store;
}
