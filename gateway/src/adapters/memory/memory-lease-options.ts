import type { LeaseStateWriter, Slot } from './lease-state-writer.js';

/** Where the engine's changes go: the SQL tables (`LeaseStateWriter`), or a recorder of the pool simulator's own. */
export type LeaseJournal = Pick<LeaseStateWriter, 'changed' | 'dropped' | 'opened' | 'closed' | 'flush' | 'stop'>;

/** A free number waiting in line: valid while the slot is free and was released at `releasedAt`. */
export interface FreeEntry {
  readonly slot: Slot;
  readonly releasedAt: number;
}

/** The line free numbers wait in (peek, then pop takes what peek showed). The gateway's: least recently released. */
export interface FreeLine {
  push(e: FreeEntry): void;
  peek(): FreeEntry | undefined;
  pop(): FreeEntry | undefined;
  compact(live: number): void;
}

export interface MemoryLeaseOptions {
  readonly flushMs?: number;
  /** Instead of the SQL tables (no database then): the simulator records history itself. */
  readonly journal?: LeaseJournal;
  /** Another order of free numbers, for the simulator's baselines (random, most recently released). */
  readonly freeLine?: (valid: (e: FreeEntry) => boolean) => FreeLine;
}
