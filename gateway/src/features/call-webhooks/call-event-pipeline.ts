import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Db } from '../../adapters/db/knex.js';
import type { Logger } from '../../logging/logger.js';
import type { CallEvent, CallEventSink } from '../calls/call-events.js';
import type { AnswerGate } from './answer-gate.js';
import { BatchedCallEventWriter } from './batched-call-event-writer.js';
import { PgCallEventInboxStore } from './call-event-inbox-store.js';
import { CallEventJournal } from './call-event-journal.js';
import { CLAIM_LEASE_MS, CallEventInboxWorker, EMBEDDED_BATCHES } from './call-event-inbox-worker.js';

/**
 * Where the telephony adapters put call events: journaled and answered at once, written to the inbox table in
 * batches, then applied to calls. `pending` counts this process's events not yet applied.
 */
export interface CallEventWriter {
  /** Fire and forget (the voice webhook, AMI): durable on local disk when this returns. */
  submit(event: CallEvent): void;
  /** Submits, then waits up to `waitMs` for the event to be applied; true when it was (callbacks answer after it). */
  applyWithin(event: CallEvent, waitMs: number): Promise<boolean>;
  readonly pending: number;
}

export interface CallEventPipeline extends CallEventWriter {
  readonly writer: BatchedCallEventWriter;
  readonly worker: CallEventInboxWorker;
  /** Takes over a previous run's journal, then starts applying the inbox. */
  start(): number;
  /** Writes or journals everything accepted, finishes the applies in progress. */
  stop(graceMs?: number): Promise<void>;
}

export function createCallEventPipeline(deps: {
  db: Db;
  embedded: boolean;
  sink: CallEventSink;
  journalFile: string;
  logger: Logger;
  gate?: AnswerGate;
  registry?: Registry;
  maxQueued?: number;
}): CallEventPipeline {
  const inbox = new PgCallEventInboxStore(deps.db);
  const metrics = deps.registry ? createCallWriterMetrics(deps.registry, inbox) : null;
  const worker = new CallEventInboxWorker({
    inbox,
    sink: deps.sink,
    logger: deps.logger,
    ...(deps.gate ? { gate: deps.gate } : {}),
    // The embedded database runs on this thread: one smaller apply at a time keeps the answers' share of it.
    ...(deps.embedded ? { concurrency: 1, batches: EMBEDDED_BATCHES } : {}),
    ...(metrics ? { onRejected: (n: number) => metrics.rejected(n) } : {}),
  });
  const writer = new BatchedCallEventWriter({
    // A callback's event is inserted held for this process, which applies it at once: the other replicas' claims
    // would take it into a batch of hundreds, and the callback would wait for that batch.
    sink: { insertMany: (entries) => inbox.insertMany(entries, (id) => worker.waitsFor(id), CLAIM_LEASE_MS) },
    logger: deps.logger,
    journal: new CallEventJournal(deps.journalFile),
    ...(deps.gate ? { gate: deps.gate } : {}),
    ...(metrics ? { metrics } : {}),
    ...(deps.maxQueued ? { maxQueued: deps.maxQueued } : {}),
    onWritten: (inserted, skipped) => {
      worker.written(inserted);
      worker.skipped(skipped);
    },
    onFailed: () => worker.releaseWaiters(),
  });
  return {
    writer,
    worker,
    submit: (event) => void writer.submit(event),
    applyWithin: (event, waitMs) => {
      const id = writer.submit(event);
      // With the database refusing writes the event is safe in the journal already: the callback is answered now
      // instead of holding Twilio (or a callback dialer) for the whole wait.
      if (writer.failing) return Promise.resolve(false);
      return worker.appliedWithin(id, waitMs);
    },
    get pending() {
      return writer.pending + worker.pending;
    },
    start() {
      const replayed = writer.resume();
      worker.start();
      return replayed;
    },
    async stop(graceMs = 3_000) {
      await writer.stop(graceMs);
      await worker.stop(Math.min(2_000, graceMs));
    },
  };
}

function createCallWriterMetrics(registry: Registry, inbox: PgCallEventInboxStore) {
  const overflow = new Counter({
    name: 'gateway_call_event_queue_overflow_total',
    help: 'Call events that found the write queue full: kept in the on-disk journal and written later (the caller was connected)',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'gateway_call_events_rejected_total',
    help: 'Call events the database refused for their content (the rest of their batch was written)',
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_call_event_inbox_rows',
    help: 'Call events written but not yet applied to calls, all replicas (-1: the database did not answer)',
    // One table counted by every process of a cluster: not summed.
    aggregator: 'max',
    registers: [registry],
    async collect() {
      this.set(await inbox.count().catch(() => -1));
    },
  });
  return { overflowed: () => overflow.inc(), rejected: (n: number) => refused.inc(n) };
}
