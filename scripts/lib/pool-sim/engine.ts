import type { Lease, Slot } from '../../../gateway/src/adapters/memory/lease-state-writer.js';
import type { FreeEntry, FreeLine, LeaseJournal } from '../../../gateway/src/adapters/memory/memory-lease-options.js';
import { LeaseHeap } from '../../../gateway/src/adapters/memory/lease-heap.js';
import { MemoryNumberLeaseStore } from '../../../gateway/src/adapters/memory/memory-number-lease-store.js';
import type { NumberLeaseStore, ReleaseReason } from '../../../gateway/src/features/number-pools/number-lease-store-type.js';
import { createLogger } from '../../../gateway/src/logging/logger.js';
import type { Database } from '../../../gateway/src/adapters/db/knex.js';
import type { Rng } from './rng.js';

/**
 * The lease engine a simulation runs on: the gateway's own stores, never a copy of their rules. The sweep over sizes
 * runs on the in-memory engine (`MemoryNumberLeaseStore`, the embedded mode's) with a journal that keeps the lease
 * history in memory instead of writing it to SQL; `--store sql|redis` runs the SQL or Redis store and reads the
 * history back from `number_leases`, as the gateway's attribution does.
 */

/** Which free number a new visit gets: the gateway's order, or a baseline's (dni.md §4). */
export type Selection = 'lru' | 'mru' | 'random';

/** One lease as `number_leases` stores it. */
export interface LeaseHistoryRecord {
  readonly leaseId: string;
  readonly e164: string;
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly leasedAt: number;
  releasedAt: number | null;
  reason: ReleaseReason | null;
  readonly reclaimed: boolean;
}

export interface SimEngine {
  readonly store: NumberLeaseStore;
  /** Leases of the number that started at or before `now`, oldest first. */
  historyOf(e164: string, now: number): Promise<readonly LeaseHistoryRecord[]>;
  /** Every lease of the run, for the reuse gaps and the lockstep comparison. */
  allHistory(): Promise<readonly LeaseHistoryRecord[]>;
  close(): Promise<void>;
}

/** Records what the in-memory engine would write behind to `number_leases`. */
class HistoryJournal implements LeaseJournal {
  readonly history: LeaseHistoryRecord[] = [];
  readonly byNumber = new Map<string, LeaseHistoryRecord[]>();
  private readonly open = new Map<string, LeaseHistoryRecord>();

  changed(_slot: Slot): void {}
  dropped(_slot: Slot): void {}
  opened(slot: Slot, lease: Lease): void {
    const rec: LeaseHistoryRecord = {
      leaseId: lease.id,
      e164: slot.e164,
      sessionId: lease.sessionId,
      visitorId: lease.visitorId,
      leasedAt: lease.leasedAt,
      releasedAt: null,
      reason: null,
      reclaimed: lease.reclaimedFrom !== null,
    };
    this.history.push(rec);
    const list = this.byNumber.get(slot.e164);
    if (list) list.push(rec);
    else this.byNumber.set(slot.e164, [rec]);
    this.open.set(lease.id, rec);
  }
  closed(_slot: Slot, leaseId: string, at: number, reason: ReleaseReason): void {
    const rec = this.open.get(leaseId);
    if (!rec) return;
    rec.releasedAt = at;
    rec.reason = reason;
    this.open.delete(leaseId);
  }
  async flush(): Promise<number> {
    return 0;
  }
  async stop(): Promise<void> {}
}

/** A uniformly random free number (the random baseline): lazy deletion as in the engine's heaps. */
class RandomLine implements FreeLine {
  private items: FreeEntry[] = [];
  private picked = -1;
  constructor(
    private readonly valid: (e: FreeEntry) => boolean,
    private readonly rng: Rng,
  ) {}
  push(e: FreeEntry): void {
    this.items.push(e);
    this.picked = -1;
  }
  peek(): FreeEntry | undefined {
    if (this.picked >= 0) return this.items[this.picked];
    while (this.items.length) {
      const i = this.rng.int(this.items.length);
      if (this.valid(this.items[i]!)) {
        this.picked = i;
        return this.items[i];
      }
      this.removeAt(i);
    }
    return undefined;
  }
  pop(): FreeEntry | undefined {
    const e = this.peek();
    if (e) this.removeAt(this.picked);
    this.picked = -1;
    return e;
  }
  compact(live: number): void {
    if (this.items.length <= 2 * live + 64) return;
    this.items = this.items.filter(this.valid);
    this.picked = -1;
  }
  private removeAt(i: number): void {
    this.items[i] = this.items[this.items.length - 1]!;
    this.items.pop();
  }
}

function freeLine(selection: Selection, rng: Rng): ((valid: (e: FreeEntry) => boolean) => FreeLine) | undefined {
  if (selection === 'lru') return undefined;
  if (selection === 'random') return (valid) => new RandomLine(valid, rng);
  // Most recently released first, ties by the larger number id.
  return (valid) =>
    new LeaseHeap<FreeEntry>((a, b) => a.releasedAt > b.releasedAt || (a.releasedAt === b.releasedAt && a.slot.id > b.slot.id), valid);
}

/** The gateway's in-memory engine; `selection` other than 'lru' swaps its free-number line for a baseline's. */
export function memoryEngine(selection: Selection, rng: Rng): SimEngine {
  const journal = new HistoryJournal();
  const line = freeLine(selection, rng);
  const store = new MemoryNumberLeaseStore(null, createLogger({ level: 'silent' }), { journal, ...(line ? { freeLine: line } : {}) });
  const none: LeaseHistoryRecord[] = [];
  return {
    store,
    historyOf: async (e164) => journal.byNumber.get(e164) ?? none,
    allHistory: async () => journal.history,
    close: async () => store.stop(),
  };
}

interface LeaseRow {
  id: string;
  e164: string;
  session_id: string;
  visitor_id: string | null;
  leased_at: Date;
  released_at: Date | null;
  release_reason: ReleaseReason | null;
  reclaimed_from: string | null;
}

const toRecord = (r: LeaseRow): LeaseHistoryRecord => ({
  leaseId: r.id,
  e164: r.e164,
  sessionId: r.session_id,
  visitorId: r.visitor_id,
  leasedAt: r.leased_at.getTime(),
  releasedAt: r.released_at?.getTime() ?? null,
  reason: r.release_reason,
  reclaimed: r.reclaimed_from !== null,
});

/** A real store (SQL or Redis) for one pool; the history is what it wrote to `number_leases`. */
export function storeEngine(store: NumberLeaseStore, db: Database, poolId: string): SimEngine {
  const rows = async (q: (b: ReturnType<Database['knex']>) => void) => {
    await store.flushHistory();
    const b = db.knex('number_leases').where({ pool_id: poolId });
    q(b);
    return ((await b.orderBy('leased_at', 'asc')) as LeaseRow[]).map(toRecord);
  };
  return {
    store,
    historyOf: (e164, now) => rows((b) => void b.where({ e164 }).where('leased_at', '<=', new Date(now))),
    allHistory: () => rows(() => undefined),
    close: async () => undefined,
  };
}
