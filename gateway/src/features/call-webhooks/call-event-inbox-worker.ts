import type { Logger } from '../../logging/logger.js';
import type { CallBatchSink, CallEventSink } from '../calls/call-events.js';
import type { AnswerGate } from './answer-gate.js';
import { isDataError, MAX_GATE_WAIT_MS, RETRY_DELAYS_MS } from './batched-call-event-writer.js';
import type { ClaimedEntry } from './call-event-inbox-store.js';

/**
 * Events claimed per round: one batch per lane. In `bench:apply` (800 calls, quiet machine, load about 1) a claim
 * of 100 cut into batches of 50 applied 1,692-1,697 new calls/s; 200 in 50s 1,825-1,897; 200 in 100s 1,941-1,986;
 * 300 in 100s 2,140; 400 in 100s 2,316-2,331 (a new call: 0.34 ms of the gateway's CPU and 0.35 ms of PostgreSQL's,
 * from 0.44 and 0.43). Not more: at the slowest rate seen on a loaded machine (about 140 new calls/s) a claim of 400
 * is applied in some 3 s, inside the claim's 5 s; past it the events would be claimed again for nothing (a no-op:
 * the ledger and the per-call locks make a repeated apply change nothing).
 */
export const CLAIM_BATCH = 400;
/**
 * Events one transaction applies, with a sink that applies batches. A batch's runs of new calls and of later events
 * cost a fixed set of statements each, so the batch size is most of the cost per event: in `bench:apply` (400 calls,
 * load average 18-26) 25 → 50 took a new call from 1.00-1.06 to 0.84-0.88 ms of the gateway's CPU and 0.82-0.87 to
 * 0.62-0.67 ms of PostgreSQL's, an answer from 0.44-0.50 to 0.30-0.33 ms; on a quiet machine 50 → 100 (claims of
 * 200) took a new call from 0.42 to 0.40 ms and 0.44 to 0.37 ms, an answer from 0.17 to 0.10 ms and 0.18 to 0.15 ms.
 * Not larger: a batch holds its calls' locks against a callback's own event until it commits.
 */
export const APPLY_BATCH = 100;
/**
 * The embedded database runs on the event loop's thread, one apply at a time: there the smaller sizes of before
 * keep each apply's hold on the thread (and so the voice answers' wait) as it was.
 */
export const EMBEDDED_BATCHES = { claim: 100, apply: 50 } as const;
/** How long a claim holds: past it, a crashed replica's events are another one's to apply. */
export const CLAIM_LEASE_MS = 5_000;
/** How often the inbox is looked at without a wake-up (events other replicas wrote, retries that came due). */
export const POLL_MS = 1_000;
/**
 * Applies running at once. More would not finish sooner (the database is the limit) but would take the event loop
 * from the webhook answers.
 */
export const MAX_CONCURRENT_APPLIES = 4;
/**
 * Ids kept of events applied before they were reported written (see `appliedEarly`): the writer reports within a
 * split batch's few round trips, far less than the time this many other events take to apply. About 0.5 MB.
 */
const APPLIED_EARLY_MAX = 10_000;

export interface CallEventInbox {
  claim(limit: number, leaseMs: number): Promise<ClaimedEntry[]>;
  claimIds(ids: readonly string[], leaseMs: number): Promise<ClaimedEntry[]>;
  remove(ids: readonly string[]): Promise<void>;
  retryAfter(ids: readonly string[], delayMs: number): Promise<void>;
  /** Which of `ids` still have a row (the others were applied and removed, by any replica). */
  present?(ids: readonly string[]): Promise<string[]>;
}

/** Our written events checked against the inbox per idle poll: at most this many ids per query. */
const PRESENCE_CHECK_MAX = 1_000;

/**
 * The second stage of a call's write: takes events from the inbox table and applies them to calls through the call
 * service (attribution, leads, the live feed), then deletes them. With a batch sink (the call service) a claim is cut
 * into batches of APPLY_BATCH, each applied in one transaction; every event of a call goes to the same batch in
 * the order received, so no two batches running at once touch the same call. Otherwise each event gets its own. A failed apply is
 * retried with backoff; a crash between an apply and its delete repeats the apply, which the call service's ledger
 * makes a no-op. Every replica runs one; claims keep them off each other's events.
 */
export class CallEventInboxWorker {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failing = false;
  private readonly waiters = new Map<string, (applied: boolean) => void>();
  private readonly concurrency: number;
  private readonly claimBatch: number;
  private readonly applyBatch: number;
  /** Events this process wrote to the inbox and has not applied yet (others' events are not counted). */
  private readonly local = new Set<string>();
  /**
   * Events applied before the writer said they were written: a claim can take a row as soon as its insert commits,
   * while the writer is still writing the rest of a split batch. Without this, such an event would be counted as
   * pending for ever. Other replicas' events land here too and are never asked for, hence the bound.
   */
  private readonly appliedEarly = new Set<string>();
  readonly totals = { applied: 0, rejected: 0 };

  constructor(
    private readonly deps: {
      inbox: CallEventInbox;
      sink: CallEventSink;
      logger: Logger;
      gate?: AnswerGate;
      /** 1 for the embedded database: it runs on this thread, so each apply holds the event loop while it runs. */
      concurrency?: number;
      /** Events per claim and per apply (CLAIM_BATCH and APPLY_BATCH unless given). */
      batches?: { readonly claim: number; readonly apply: number };
      onRejected?: (n: number) => void;
    },
  ) {
    this.concurrency = deps.concurrency ?? MAX_CONCURRENT_APPLIES;
    this.claimBatch = deps.batches?.claim ?? CLAIM_BATCH;
    this.applyBatch = deps.batches?.apply ?? APPLY_BATCH;
  }

  get pending(): number {
    return this.local.size;
  }

  /** Starts applying what is in the inbox (a previous run's leftovers too), then keeps polling. */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Events `ids` are now in the inbox. Those a callback waits for are applied first, ahead of the backlog. */
  written(ids: readonly string[]): void {
    for (const id of ids) if (!this.appliedEarly.delete(id)) this.local.add(id);
    const waited = ids.filter((id) => this.waiters.has(id));
    if (waited.length && !this.stopped) void this.applyNow(waited);
    this.wake();
  }

  private async applyNow(ids: readonly string[]): Promise<void> {
    try {
      const claimed = await this.deps.inbox.claimIds(ids, CLAIM_LEASE_MS);
      if (claimed.length) await this.applyAll(claimed);
    } catch (err) {
      // Left to the loop, which claims them in their turn.
      this.deps.logger.warn({ err }, 'call events a callback waits for not claimed; applied in their turn');
    }
  }

  /** Whether a callback here waits for event `id`. */
  waitsFor(id: string): boolean {
    return this.waiters.has(id);
  }

  /** Resolves true once event `id` is applied, false after `ms` (it is applied later all the same). */
  appliedWithin(id: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(false);
      }, ms);
      this.waiters.set(id, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let claimed: ClaimedEntry[];
      try {
        claimed = await this.deps.inbox.claim(this.claimBatch, CLAIM_LEASE_MS);
        this.failing = false;
      } catch (err) {
        // The next poll tries again; the events are safe in the inbox (or still in the writer's queue).
        if (!this.failing) this.deps.logger.warn({ err }, 'call event inbox not readable; retrying');
        this.failing = true;
        return;
      }
      if (!claimed.length) {
        await this.dropAppliedElsewhere();
        return;
      }
      this.again = false;
      await this.applyAll(claimed);
    }
  }

  private async applyAll(claimed: readonly ClaimedEntry[]): Promise<void> {
    const done: string[] = [];
    const retry = new Map<number, string[]>();
    const left: string[] = [];
    const verdict = (c: ClaimedEntry, err: unknown | null): void => {
      if (err === null) {
        done.push(c.id);
        this.totals.applied++;
        this.settle(c.id, true);
        return;
      }
      if (isDataError(err)) {
        done.push(c.id);
        this.totals.rejected++;
        this.deps.onRejected?.(1);
        this.deps.logger.error({ err, eventKey: c.event.eventKey, provider: c.event.provider }, 'call event could not be applied; dropped');
        this.settle(c.id, false);
        return;
      }
      if (c.attempts === 1) this.deps.logger.warn({ err, eventKey: c.event.eventKey }, 'call event not applied; retrying');
      const delay = RETRY_DELAYS_MS[Math.min(c.attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
      retry.set(delay, [...(retry.get(delay) ?? []), c.id]);
    };
    const batchSink = isBatchSink(this.deps.sink) ? this.deps.sink : null;
    const units = batchSink ? batchesByCall(claimed, this.applyBatch) : claimed.map((c) => [c]);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < units.length) {
        const unit = units[next++]!;
        if (this.stopped) {
          left.push(...unit.map((c) => c.id));
          continue;
        }
        await this.deps.gate?.idle(MAX_GATE_WAIT_MS);
        if (batchSink) {
          let results: (unknown | null)[];
          try {
            results = await batchSink.applyMany(unit.map((c) => c.event));
          } catch (err) {
            results = unit.map(() => err ?? new Error('call events not applied'));
          }
          for (const [i, c] of unit.entries()) verdict(c, results[i] ?? null);
          continue;
        }
        const c = unit[0]!;
        try {
          await this.deps.sink.apply(c.event);
          verdict(c, null);
        } catch (err) {
          verdict(c, err ?? new Error('call event not applied'));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, units.length) }, lane));
    try {
      await this.deps.inbox.remove(done);
      for (const [delay, ids] of retry) await this.deps.inbox.retryAfter(ids, delay);
      await this.deps.inbox.retryAfter(left, 0);
    } catch (err) {
      // Their claims run out and they are applied again: a no-op for the ones already applied.
      this.deps.logger.warn({ err }, 'call event inbox not updated after applying; the claims will lapse');
    }
    // No longer pending once their rows are gone too: `pending` at 0 means nothing of ours is left to do.
    this.forget(done);
  }

  /**
   * Every replica claims from the same inbox, so another one (a second worker of GATEWAY_WORKERS, another host) may
   * apply and remove events this process wrote: they would count as pending here for ever. When nothing is left to
   * claim, the rows of our pending events are looked up, and those that are gone stop counting.
   */
  private async dropAppliedElsewhere(): Promise<void> {
    if (!this.local.size || !this.deps.inbox.present) return;
    const ids = [...this.local].slice(0, PRESENCE_CHECK_MAX);
    try {
      const still = new Set(await this.deps.inbox.present(ids));
      for (const id of ids) if (!still.has(id)) this.local.delete(id);
    } catch {
      // The next idle poll looks again.
    }
  }

  private forget(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.local.delete(id)) continue;
      this.appliedEarly.add(id);
      if (this.appliedEarly.size > APPLIED_EARLY_MAX) this.appliedEarly.delete(this.appliedEarly.values().next().value!);
    }
  }

  /** Events that did not go into the inbox (already there, or refused): nothing of theirs is left to wait for. */
  skipped(ids: readonly string[]): void {
    for (const id of ids) this.settle(id, true);
  }

  /** Answers the callback waiting for event `id`, if one is. */
  private settle(id: string, ok: boolean): void {
    const w = this.waiters.get(id);
    if (w) {
      this.waiters.delete(id);
      w(ok);
    }
  }

  /** Answers every waiter "not applied yet" (their events are journaled; waiting on a sick database helps no one). */
  releaseWaiters(): void {
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w(false);
    }
  }

  /** Finishes the applies in progress (bounded); claimed events not started yet are handed back at once. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, graceMs))]);
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w(false);
    }
  }
}

const isBatchSink = (s: CallEventSink): s is CallBatchSink => typeof (s as Partial<CallBatchSink>).applyMany === 'function';

/**
 * Cuts claimed events (in the order received) into batches of about `size`, each call's events together and in
 * order: batches applied at once never wait on each other's calls.
 */
export function batchesByCall(claimed: readonly ClaimedEntry[], size: number): ClaimedEntry[][] {
  const perCall = new Map<string, ClaimedEntry[]>();
  for (const c of claimed) {
    const k = `${c.event.provider}:${c.event.providerCallId}`;
    const list = perCall.get(k);
    if (list) list.push(c);
    else perCall.set(k, [c]);
  }
  const out: ClaimedEntry[][] = [];
  let cur: ClaimedEntry[] = [];
  for (const list of perCall.values()) {
    if (cur.length && cur.length + list.length > size) {
      out.push(cur);
      cur = [];
    }
    cur.push(...list);
  }
  if (cur.length) out.push(cur);
  return out;
}
