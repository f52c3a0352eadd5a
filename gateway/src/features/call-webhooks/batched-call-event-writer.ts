import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logging/logger.js';
import type { CallEvent } from '../calls/call-events.js';
import type { AnswerGate } from './answer-gate.js';
import type { InboxEntry } from './call-event-inbox-store.js';
import type { CallEventJournal } from './call-event-journal.js';

/** Events held in memory; past that they wait on disk only (the journal) and are read back as the queue drains. */
export const MAX_QUEUED_EVENTS = 20_000;
/** Events per INSERT: big enough that a burst costs a few statements, small enough to stay a few ms each. */
export const BATCH_SIZE = 500;
/** Backoff between failed batches (the database down or restarting); the last one repeats. */
export const RETRY_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 5_000] as const;
/** The longest a batch waits for voice answers being built (see AnswerGate). */
export const MAX_GATE_WAIT_MS = 50;

/** Where batches go: one statement per call, many events per statement. */
export interface CallEventBatchSink {
  /** Returns the ids inserted: an event already in the inbox (a provider's retry) is not inserted again. */
  insertMany(entries: readonly InboxEntry[]): Promise<readonly string[]>;
}

export interface CallEventWriterMetrics {
  /** Events that found the queue full: journaled, written later, the caller connected all the same. */
  overflowed(): void;
  /** Events the database refused (bad data); the rest of their batch was written. */
  rejected(n: number): void;
}

/** A refusal of the data itself (SQLSTATE class 22 or 23), not of the connection: retrying would not help. */
export const isDataError = (err: unknown): boolean => /^2[23]/.test(String((err as { code?: unknown }).code ?? ''));

/**
 * The first stage of a call's write, behind the webhook answer: every accepted event is journaled on local disk
 * before the answer, queued (bounded), and written to the inbox table in batches, one multi-row INSERT each. Only
 * once its batch is in the database is an event marked done in the journal, so a crash or a stop at any moment
 * leaves it either in the database or on disk. When the database refuses a batch for its content, the halves are
 * written apart down to the one bad event, which is counted and logged; the rest land.
 */
export class BatchedCallEventWriter {
  private queue: InboxEntry[] = [];
  /** Journaled, not in memory: read back from the journal once the queue has drained. */
  private spilled = 0;
  private running: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  private seq = 0;
  // Unique per writer (two in one process, a restart within the same millisecond): ids are the inbox's primary key.
  private readonly runId = `${Date.now().toString(36)}.${randomBytes(4).toString('hex')}`;
  private lastOverflowLog = 0;
  /** Events the journal could not take (a failing disk): not to be marked done there. */
  private readonly unjournaled = new Set<string>();
  /** Totals since start, for the stop's log line and the benchmark. */
  readonly totals = { written: 0, rejected: 0, overflowed: 0 };

  constructor(
    private readonly deps: {
      sink: CallEventBatchSink;
      logger: Logger;
      journal?: CallEventJournal;
      gate?: AnswerGate;
      metrics?: CallEventWriterMetrics;
      /** After a batch landed: the ids it inserted, and those it did not (already there, or refused). */
      onWritten?: (inserted: readonly string[], skipped: readonly string[]) => void;
      /** A batch could not be written (the database is down): what it held waits in the journal for the retry. */
      onFailed?: () => void;
      maxQueued?: number;
      batchSize?: number;
    },
  ) {}

  /** Events accepted and not yet in the database (queued, being written, or waiting on disk). */
  get pending(): number {
    return this.queue.length + this.spilled;
  }

  /** The last batch could not be written and a retry is due: the database is not taking writes now. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /**
   * Journals the event and queues it; returns its id. Never throws and never drops: with the queue full the event
   * waits on disk, and with the disk unwritable it is queued past the bound rather than lost.
   */
  submit(event: CallEvent): string {
    const entry: InboxEntry = { id: this.nextId(), event, receivedAt: Date.now() };
    let journaled = false;
    if (this.deps.journal) {
      try {
        this.deps.journal.add(entry);
        journaled = true;
      } catch (err) {
        this.unjournaled.add(entry.id);
        this.deps.logger.error({ err, eventKey: event.eventKey }, 'call event journal not writable; the event is kept in memory only');
      }
    }
    if (this.queue.length >= (this.deps.maxQueued ?? MAX_QUEUED_EVENTS) && journaled) {
      this.spilled++;
      this.totals.overflowed++;
      this.deps.metrics?.overflowed();
      if (Date.now() - this.lastOverflowLog > 10_000) {
        this.lastOverflowLog = Date.now();
        this.deps.logger.warn({ queued: this.queue.length, onDisk: this.spilled }, 'call write queue full; events wait in the journal');
      }
    } else this.queue.push(entry);
    this.kick();
    return entry.id;
  }

  /** Takes over what a previous run left in the journal (not yet in the database when it stopped or crashed). */
  resume(): number {
    const journal = this.deps.journal;
    if (!journal) return 0;
    // First rewritten clean: a line the crash cut short must not swallow the next one appended after it.
    const total = journal.compact();
    if (total) {
      this.readBack();
      this.deps.logger.warn({ events: total }, 'writing call events a previous run had not written');
      this.kick();
    }
    return total;
  }

  /** Writes what is queued now; resolves when the queue is empty or a batch failed (a retry is then scheduled). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.pending && !this.retryTimer) {
      this.kick();
      while (this.running) await this.running;
    }
  }

  private nextId(): string {
    return `${this.runId}.${(++this.seq).toString(36).padStart(8, '0')}`;
  }

  private kick(): void {
    if (this.running || this.retryTimer || this.stopped) return;
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }

  /** With nothing queued or in flight, everything the journal still holds is what did not fit the queue. */
  private readBack(): void {
    const journal = this.deps.journal;
    if (!journal || this.queue.length) return;
    const { entries, total } = journal.pending(this.deps.maxQueued ?? MAX_QUEUED_EVENTS);
    this.queue = entries;
    this.spilled = total - entries.length;
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length || this.spilled) {
        if (!this.queue.length) this.readBack();
        if (!this.queue.length) {
          this.spilled = 0;
          break;
        }
        if (!this.stopped) await this.deps.gate?.idle(MAX_GATE_WAIT_MS);
        // Taken off the queue only once written: a failure leaves the batch first in line for the retry.
        const batch = this.queue.slice(0, this.deps.batchSize ?? BATCH_SIZE);
        const inserted = new Set<string>();
        await this.write(batch, inserted);
        this.queue.splice(0, batch.length);
        const ids = batch.map((e) => e.id);
        this.deps.journal?.done(this.unjournaled.size ? ids.filter((id) => !this.unjournaled.delete(id)) : ids);
        this.totals.written += inserted.size;
        this.failures = 0;
        this.deps.onWritten?.(
          [...inserted],
          ids.filter((id) => !inserted.has(id)),
        );
      }
    } catch (err) {
      this.failures++;
      if (this.failures === 1) this.deps.logger.warn({ err, pending: this.pending }, 'call event batch not written; retrying');
      this.deps.onFailed?.();
      if (this.stopped) return;
      const delay = RETRY_DELAYS_MS[Math.min(this.failures - 1, RETRY_DELAYS_MS.length - 1)]!;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.kick();
      }, delay);
    }
  }

  /** One INSERT; on a refusal of its content, the halves apart, down to the bad event (counted, then skipped). */
  private async write(batch: readonly InboxEntry[], inserted: Set<string>): Promise<void> {
    try {
      for (const id of await this.deps.sink.insertMany(batch)) inserted.add(id);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (batch.length === 1) {
        this.totals.rejected++;
        this.deps.metrics?.rejected(1);
        this.deps.logger.error({ err, eventKey: batch[0]!.event.eventKey, provider: batch[0]!.event.provider }, 'call event refused by the database');
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.write(batch.slice(0, half), inserted);
      await this.write(batch.slice(half), inserted);
    }
  }

  /**
   * Writes what is pending for up to `graceMs` (new events are no longer expected: the listener is closed); what
   * is left stays in the journal for the next start. Logs how many of each.
   */
  async stop(graceMs = 3_000): Promise<{ written: number; journaled: number }> {
    const before = this.totals.written;
    const deadline = Date.now() + graceMs;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.failures = 0;
    while (this.pending && Date.now() < deadline) {
      this.kick();
      const current = this.running;
      if (!current) break;
      await Promise.race([current, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
      if (this.retryTimer) {
        // The database refused: wait out a short backoff inside the grace period, then try again.
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        await new Promise((r) => setTimeout(r, Math.min(250, Math.max(1, deadline - Date.now()))));
      }
    }
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, 1_000))]);
    const journaled = this.deps.journal ? this.deps.journal.size : 0;
    const lost = this.deps.journal ? 0 : this.pending;
    const written = this.totals.written - before;
    const log = { written, journaled, ...(lost ? { lost } : {}) };
    if (lost) this.deps.logger.error(log, 'call writer stopped; events lost (no journal)');
    else if (journaled) this.deps.logger.warn(log, 'call writer stopped; events kept in the journal for the next start');
    else this.deps.logger.info(log, 'call writer stopped; every accepted event written');
    this.deps.journal?.close();
    return { written, journaled };
  }
}
