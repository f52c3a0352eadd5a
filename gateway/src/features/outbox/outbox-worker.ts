import type { Knex } from 'knex';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import { DeliveryError } from './outbox-handler.js';
import type { OutboxHandler } from './outbox-handler.js';
import { noOutboxMetrics } from './outbox-metrics.js';
import type { OutboxMetrics } from './outbox-metrics.js';
import type { OutboxStore } from './outbox-store-type.js';
import type { OutboxMessage } from './outbox-types.js';
import { nextAttemptAt } from './retry-policy.js';
import { TokenBuckets } from './token-bucket.js';

export interface OutboxWorkerOptions {
  /** Rows taken per claim. */
  readonly batchSize: number;
  /** Deliveries in flight at once. */
  readonly concurrency: number;
  /** How long a claimed row stays ours; a worker that dies releases its rows when this runs out. */
  readonly leaseMs: number;
  /** Sleep between polls when there was nothing to do (enqueue can wake the worker earlier with `notify`). */
  readonly pollIntervalMs: number;
  /** Rate-limit waits up to this are slept through; longer ones put the row back with a later time. */
  readonly maxRateWaitMs: number;
}

export const DEFAULT_WORKER_OPTIONS: OutboxWorkerOptions = {
  batchSize: 20,
  concurrency: 4,
  leaseMs: 5 * 60_000,
  pollIntervalMs: 1_000,
  maxRateWaitMs: 2_000,
};

export interface OutboxWorkerStats {
  attempts: number;
  delivered: number;
  failed: number;
  dead: number;
  lostLeases: number;
}

/**
 * Delivers outbox rows: claims due rows under a lease, runs the topic's handler, then completes the row or schedules
 * the next attempt (backoff with jitter, Retry-After) until the policy runs out and the row is dead. Any number of
 * workers, in one process or several, can run against the same table.
 */
export class OutboxWorker {
  private readonly handlers: Map<string, OutboxHandler>;
  private readonly buckets = new TokenBuckets();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly opts: OutboxWorkerOptions;
  private readonly random: () => number;
  private readonly metrics: OutboxMetrics;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private killed = false;
  private wake: (() => void) | null = null;
  /** A notify that came while the loop was busy: the next sleep is skipped, so the wake-up is not lost. */
  private woken = false;
  readonly stats: OutboxWorkerStats = { attempts: 0, delivered: 0, failed: 0, dead: 0, lostLeases: 0 };

  constructor(
    private readonly deps: {
      db: Knex;
      store: OutboxStore;
      handlers: readonly OutboxHandler[];
      clock: Clock;
      logger: Logger;
      random?: () => number;
      metrics?: OutboxMetrics;
    },
    opts: Partial<OutboxWorkerOptions> = {},
  ) {
    this.handlers = new Map(deps.handlers.map((h) => [h.topic, h]));
    this.opts = { ...DEFAULT_WORKER_OPTIONS, ...opts };
    this.random = deps.random ?? Math.random;
    this.metrics = deps.metrics ?? noOutboxMetrics;
  }

  start(): void {
    if (this.loop || !this.handlers.size) return;
    this.loop = this.run();
  }

  /** Wakes a sleeping poll loop (after an enqueue that just committed). */
  notify(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  /**
   * Stops taking rows and waits up to `timeoutMs` for deliveries in flight; those still running are aborted and their
   * rows given back, so another worker takes them at once instead of after the lease.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true;
    this.notify();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    // A claim stuck on an unreachable database must not hold shutdown up either.
    await Promise.race([Promise.allSettled([this.loop, ...this.inFlight]), timeout]);
    clearTimeout(timer);
    if (this.inFlight.size) {
      this.abort.abort();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Stops as a crash would: in-flight requests are dropped and nothing more is written; leases run out on their own. */
  async kill(): Promise<void> {
    this.killed = true;
    this.stopping = true;
    this.abort.abort();
    this.notify();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims and delivers one batch, waiting for it (tests and the admin "deliver now"). Returns rows claimed. */
  async runOnce(): Promise<number> {
    const rows = await this.claim(this.opts.batchSize);
    await Promise.allSettled(rows.map((r) => this.process(r)));
    return rows.length;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.opts.concurrency - this.inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const rows = await this.claim(Math.min(free, this.opts.batchSize));
          claimed = rows.length;
          for (const row of rows) {
            const p: Promise<void> = this.process(row).finally(() => {
              this.inFlight.delete(p);
              this.notify();
            });
            this.inFlight.add(p);
          }
        } catch (err) {
          this.deps.logger.warn({ err }, 'outbox claim failed; retrying after the poll interval');
        }
      }
      if (this.stopping) break;
      // A full batch means more may be due: go again at once unless every slot is busy.
      if (claimed === 0 || this.inFlight.size >= this.opts.concurrency) await this.sleep(this.opts.pollIntervalMs);
    }
  }

  private claim(limit: number): Promise<OutboxMessage[]> {
    return this.deps.store.claim(this.deps.db, {
      now: this.deps.clock.now(),
      limit,
      leaseMs: this.opts.leaseMs,
      leaseId: newId(),
      topics: [...this.handlers.keys()],
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async process(row: OutboxMessage): Promise<void> {
    const handler = this.handlers.get(row.topic);
    const leaseId = row.leaseId;
    if (!handler || !leaseId) return;
    const log = this.deps.logger.child({ outboxId: row.id, topic: row.topic, sinkId: row.sinkId, attempt: row.attempts });
    try {
      if (!(await this.takeToken(handler, row, leaseId))) return;
      this.stats.attempts++;
      await handler.handle(row, { signal: this.abort.signal });
      if (this.killed) return;
      const ok = await this.deps.store.complete(this.deps.db, row.id, leaseId, this.deps.clock.now());
      if (ok) this.stats.delivered++;
      else this.stats.lostLeases++;
      this.metrics.attempt(row.topic, ok ? 'delivered' : 'lost_lease');
    } catch (err) {
      if (this.killed) return;
      if (this.abort.signal.aborted) {
        // Stopping: the attempt did not finish, so it does not count.
        await this.deps.store.release(this.deps.db, row.id, leaseId, this.deps.clock.now()).catch(() => false);
        return;
      }
      await this.settleFailure(handler, row, leaseId, err, log);
    }
  }

  private async settleFailure(handler: OutboxHandler, row: OutboxMessage, leaseId: string, err: unknown, log: Logger): Promise<void> {
    this.stats.failed++;
    const retryable = !(err instanceof DeliveryError) || err.retryable;
    const retryAfterMs = err instanceof DeliveryError ? err.retryAfterMs : undefined;
    const next = retryable ? nextAttemptAt(handler.policy, row.attempts, this.deps.clock.now(), this.random, retryAfterMs) : null;
    const message = err instanceof Error ? err.message : String(err);
    const ok = await this.deps.store.fail(this.deps.db, row.id, leaseId, message, next).catch((e: unknown) => {
      log.warn({ err: e }, 'could not record a failed delivery; the lease will run out and the row be retried');
      return false;
    });
    if (!ok) return;
    this.metrics.attempt(row.topic, next ? 'retry' : 'dead');
    if (next) log.warn({ err: message, nextAttemptAt: next }, 'delivery failed; will retry');
    else {
      this.stats.dead++;
      log.error({ err: message }, 'delivery gave up; the row is dead until retried from the admin API');
    }
  }

  /** False when the row was handed back for later because the sink's bucket is empty. */
  private async takeToken(handler: OutboxHandler, row: OutboxMessage, leaseId: string): Promise<boolean> {
    const limit = handler.rateLimit ? await handler.rateLimit(row) : null;
    if (!limit) return true;
    let slept = 0;
    for (;;) {
      const wait = this.buckets.take(limit, this.deps.clock.nowMs());
      if (wait === 0) return true;
      if (slept + wait > this.opts.maxRateWaitMs || this.stopping) {
        const runAt = new Date(this.deps.clock.nowMs() + wait);
        if (!this.killed) await this.deps.store.release(this.deps.db, row.id, leaseId, runAt);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      slept += wait;
    }
  }
}
