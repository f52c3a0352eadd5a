import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { NewOutboxMessage, OutboxFilter, OutboxMessage } from './outbox-types.js';

export interface ClaimOptions {
  readonly now: Date;
  readonly limit: number;
  readonly leaseMs: number;
  readonly leaseId: string;
  /** Only these topics (a worker serves the topics it has handlers for). */
  readonly topics: readonly string[];
}

export interface OutboxStore {
  /** Inserts unless a row with the same dedupe key exists; returns the new row, or null when it was a duplicate. */
  enqueue(db: DbOrTrx, msg: NewOutboxMessage): Promise<OutboxMessage | null>;
  /**
   * Takes up to `limit` due rows: pending ones whose time has come, and delivering ones whose lease ran out (their
   * worker died). Counts an attempt and sets a lease; concurrent claimers skip each other's rows.
   */
  claim(db: DbOrTrx, opts: ClaimOptions): Promise<OutboxMessage[]>;
  /** Marks delivered; false when the lease was lost meanwhile. */
  complete(db: DbOrTrx, id: string, leaseId: string, now: Date): Promise<boolean>;
  /** Schedules another attempt, or makes the row dead when `nextAttemptAt` is null. */
  fail(db: DbOrTrx, id: string, leaseId: string, error: string, nextAttemptAt: Date | null): Promise<boolean>;
  /** Gives a claimed row back without counting the attempt (rate limited, or the worker is stopping). */
  release(db: DbOrTrx, id: string, leaseId: string, runAt: Date): Promise<boolean>;
  get(db: DbOrTrx, accountId: string, id: string): Promise<OutboxMessage | null>;
  list(db: DbOrTrx, filter: OutboxFilter): Promise<OutboxMessage[]>;
  /** Makes a dead, cancelled or pending row due now with a fresh attempt budget; false if it is delivering/delivered. */
  retry(db: DbOrTrx, accountId: string, id: string, now: Date): Promise<OutboxMessage | null>;
  /** Makes delivered/dead/cancelled/pending rows of a call or time range due again; returns how many. */
  replay(
    db: DbOrTrx,
    filter: { accountId: string; callId?: string; createdFrom?: Date; createdTo?: Date; sinkId?: string },
    now: Date,
  ): Promise<number>;
  countByStatus(db: DbOrTrx, accountId: string | null): Promise<Record<string, number>>;
  /** Deletes up to `limit` delivered rows delivered before `before`; returns how many. */
  pruneDelivered(db: DbOrTrx, before: Date, limit: number): Promise<number>;
}
