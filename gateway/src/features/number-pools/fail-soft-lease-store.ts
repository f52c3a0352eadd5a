import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Logger } from '../../logging/logger.js';
import type {
  CurrentHolder,
  LeaseOutcome,
  LeasePool,
  LeaseRequest,
  NumberLeaseStore,
  PoolNumber,
  PoolOccupancy,
  ReleaseReason,
} from './number-lease-store-type.js';

/**
 * The live lease state could not be reached (Redis down, restarting, refusing commands). Callers on the widget path
 * answer with static, channel or canonical numbers instead: a visitor sees the site's own number, never an error.
 */
export class LeaseStoreUnavailableError extends Error {
  constructor(
    readonly op: string,
    cause: unknown,
  ) {
    super(`lease store unavailable (${op})`, { cause });
    this.name = 'LeaseStoreUnavailableError';
  }
}

/** Outage warnings at most this often: a widget burst during an outage must not flood the log. */
const WARN_EVERY_MS = 10_000;

/**
 * Wraps a lease store whose backend can be away (Redis): the request-path operations (lease, heartbeat, release)
 * turn any failure into `LeaseStoreUnavailableError`, and `currentHolder` (call attribution) answers null so the
 * lease history in SQL decides. Every failure counts in `gateway_lease_store_unavailable_total{op}`. Jobs (sweep,
 * sync, occupancy, history flush) see the original errors: the scheduler logs and retries them.
 */
export class FailSoftLeaseStore implements NumberLeaseStore {
  private readonly failures: Counter<'op'>;
  private lastWarnAt = 0;

  constructor(
    private readonly inner: NumberLeaseStore,
    private readonly deps: { registry: Registry; logger: Logger; nowMs?: () => number },
  ) {
    this.failures =
      (deps.registry.getSingleMetric('gateway_lease_store_unavailable_total') as Counter<'op'> | undefined) ??
      new Counter({
        name: 'gateway_lease_store_unavailable_total',
        help: 'Lease operations answered without the live lease state (its store was unreachable): fallback numbers shown',
        labelNames: ['op'],
        registers: [deps.registry],
      });
  }

  get countsHolds(): boolean {
    return this.inner.countsHolds === true;
  }

  private fail(op: string, err: unknown): LeaseStoreUnavailableError {
    this.failures.inc({ op });
    const now = (this.deps.nowMs ?? Date.now)();
    if (now - this.lastWarnAt >= WARN_EVERY_MS) {
      this.lastWarnAt = now;
      this.deps.logger.warn({ err, op }, 'lease store unavailable: answering with fallback numbers');
    }
    return new LeaseStoreUnavailableError(op, err);
  }

  async lease(pool: LeasePool, req: LeaseRequest): Promise<LeaseOutcome> {
    try {
      return await this.inner.lease(pool, req);
    } catch (err) {
      throw this.fail('lease', err);
    }
  }

  async heartbeat(pool: LeasePool, sessionId: string, now: number): Promise<number | null> {
    try {
      return await this.inner.heartbeat(pool, sessionId, now);
    } catch (err) {
      throw this.fail('heartbeat', err);
    }
  }

  async release(pool: LeasePool, sessionId: string, now: number, reason: ReleaseReason): Promise<boolean> {
    try {
      return await this.inner.release(pool, sessionId, now, reason);
    } catch (err) {
      throw this.fail('release', err);
    }
  }

  async currentHolder(e164: string, at: number): Promise<CurrentHolder | null> {
    try {
      return await this.inner.currentHolder(e164, at);
    } catch (err) {
      this.fail('currentHolder', err);
      return null;
    }
  }

  async currentHolders(items: readonly { e164: string; at: number }[]): Promise<(CurrentHolder | null)[]> {
    try {
      return await (this.inner.currentHolders
        ? this.inner.currentHolders(items)
        : Promise.all(items.map((it) => this.inner.currentHolder(it.e164, it.at))));
    } catch (err) {
      this.fail('currentHolder', err);
      return items.map(() => null);
    }
  }

  sweep(pool: LeasePool, now: number): Promise<number> {
    return this.inner.sweep(pool, now);
  }

  syncPool(pool: LeasePool, numbers: readonly PoolNumber[], now: number): Promise<void> {
    return this.inner.syncPool(pool, numbers, now);
  }

  exclusiveSync<T>(poolId: string, sync: () => Promise<T>): Promise<T> {
    return this.inner.exclusiveSync ? this.inner.exclusiveSync(poolId, sync) : sync();
  }

  occupancy(pool: LeasePool, now: number): Promise<PoolOccupancy> {
    return this.inner.occupancy(pool, now);
  }

  flushHistory(): Promise<number> {
    return this.inner.flushHistory();
  }
}
