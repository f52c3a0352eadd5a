import type { Logger } from '../../logging/logger.js';
import type { CallEvent, CallEventSink } from '../calls/call-events.js';
import type { AnswerGate } from './answer-gate.js';
import type { PendingCallEventJournal } from './pending-call-event-journal.js';

/** Backoff between attempts; the last one repeats until the event is MAX_EVENT_AGE_MS old. */
export const RETRY_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 5_000] as const;
export const MAX_EVENT_AGE_MS = 30 * 60_000;
export const MAX_QUEUED_EVENTS = 20_000;
/**
 * Writes running at once. More would not finish sooner (the database is the limit) but would take the event loop
 * from the webhook answers, which must stay fast under a burst of calls.
 */
export const MAX_CONCURRENT_WRITES = 4;
/** The longest a write waits for voice answers being built (see AnswerGate). */
export const MAX_GATE_WAIT_MS = 50;

interface Queued {
  readonly id: string;
  readonly event: CallEvent;
  readonly firstTriedAt: number;
  attempts: number;
}

/**
 * Writes call events behind the webhook answer: the answer never waits on, or fails with, the database. A failed
 * write is retried with backoff (PostgreSQL restarting, a network blip) until it lands or grows too old; with a
 * journal it is also kept on local disk until then, and a restart replays it (`resume`). The call service's
 * idempotency makes a retry after an unseen success harmless.
 */
export class RetryingCallEventWriter {
  private readonly queue = new Set<Queued>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private seq = 0;
  private readonly runId = `${process.pid.toString(36)}.${Date.now().toString(36)}`;
  private readonly maxConcurrent: number;

  constructor(
    private readonly sink: CallEventSink,
    private readonly logger: Logger,
    private readonly opts: {
      /** 1 for the embedded database: it runs on this thread, so each write holds the event loop while it runs. */
      maxConcurrent?: number;
      /** When given, a write starts only once no voice answer is being built. */
      gate?: AnswerGate;
      /** When given, events whose write failed are kept on disk until it lands. */
      journal?: PendingCallEventJournal;
    } = {},
  ) {
    this.maxConcurrent = opts.maxConcurrent ?? MAX_CONCURRENT_WRITES;
  }

  /** Replays what a previous run left in the journal (writes that had not landed when it stopped or crashed). */
  resume(): number {
    const left = this.opts.journal?.load() ?? [];
    for (const j of left) void this.attempt({ id: j.id, event: j.event, firstTriedAt: j.firstTriedAt, attempts: 0 });
    if (left.length) this.logger.warn({ events: left.length }, 'replaying call events a previous run had not written');
    return left.length;
  }

  private nextId(): string {
    return `${this.runId}.${++this.seq}`;
  }

  /** Events not yet written: being written now or waiting for a retry. */
  get pending(): number {
    return this.queue.size + this.inFlight.size;
  }

  /** Fire and forget (the voice webhook). */
  submit(event: CallEvent): void {
    void this.attempt({ id: this.nextId(), event, firstTriedAt: Date.now(), attempts: 0 });
  }

  /**
   * Tries for up to `waitMs`, so callbacks answer after the write when the database is healthy; past that, or on
   * failure, the write carries on in the background. Resolves true when the event was applied in time.
   */
  async applyWithin(event: CallEvent, waitMs: number): Promise<boolean> {
    const done = this.attempt({ id: this.nextId(), event, firstTriedAt: Date.now(), attempts: 0 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private attempt(q: Queued): Promise<boolean> {
    const run = (async () => {
      await this.slot();
      if (this.opts.gate) await this.opts.gate.idle(MAX_GATE_WAIT_MS);
      q.attempts++;
      try {
        await this.sink.apply(q.event);
        this.queue.delete(q);
        this.opts.journal?.done(q.id);
        return true;
      } catch (err) {
        this.schedule(q, err);
        return false;
      } finally {
        this.release();
      }
    })();
    const tracked = run.then(() => undefined);
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return run;
  }

  private slot(): Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The next write starts on a later turn of the event loop, so waiting webhook requests are answered first.
    if (next) setImmediate(next);
    else this.active--;
  }

  private schedule(q: Queued, err: unknown): void {
    const age = Date.now() - q.firstTriedAt;
    this.keep(q);
    if (this.stopped) {
      // Shutting down: the journal (if any) keeps it for the next start.
      this.queue.delete(q);
      this.logger.error({ err, eventKey: q.event.eventKey, kept: !!this.opts.journal }, 'call event not written before shutdown');
      return;
    }
    if (age > MAX_EVENT_AGE_MS || (!this.queue.has(q) && this.queue.size >= MAX_QUEUED_EVENTS)) {
      this.queue.delete(q);
      this.opts.journal?.done(q.id);
      this.logger.error({ err, eventKey: q.event.eventKey, attempts: q.attempts }, 'call event dropped after retries');
      return;
    }
    this.queue.add(q);
    const delay = RETRY_DELAYS_MS[Math.min(q.attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
    if (q.attempts === 1) this.logger.warn({ err, eventKey: q.event.eventKey }, 'call event write failed; retrying');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(q);
    }, delay);
    this.timers.add(timer);
  }

  /** On the first failure: onto local disk, so a restart before the write lands does not lose it. */
  private keep(q: Queued): void {
    if (!this.opts.journal) return;
    try {
      this.opts.journal.add({ id: q.id, event: q.event, firstTriedAt: q.firstTriedAt });
    } catch (err) {
      this.logger.error({ err }, 'call event journal not writable; the event is retried in memory only');
    }
  }

  /** Waits for in-flight writes (bounded), then stops retrying; what is still queued stays in the journal, if any. */
  async stop(graceMs = 2_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
    }
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.queue.size)
      this.logger.error({ pending: this.queue.size, journaled: this.opts.journal?.size ?? 0 }, 'call events not written at shutdown');
  }
}
