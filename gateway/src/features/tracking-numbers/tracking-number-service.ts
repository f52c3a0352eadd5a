import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { PoolStore } from '../number-pools/pool-store-type.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { NumberProvider, NumberStatus, TrackingNumber, TrackingNumberPatch, TrackingNumberStore } from './tracking-number-store-type.js';

export interface CreateTrackingNumberInput {
  e164: string;
  provider: NumberProvider;
  providerRef?: string | null;
  forwardTo?: string | null;
  poolId?: string | null;
  siteId?: string | null;
  status?: 'active' | 'paused';
  monthlyCost?: number | null;
  currency?: string | null;
}

export interface UpdateTrackingNumberInput {
  poolId?: string | null;
  forwardTo?: string | null;
  providerRef?: string | null;
  status?: 'active' | 'paused' | 'quarantined';
  quarantineDays?: number;
  monthlyCost?: number | null;
  currency?: string | null;
}

const DEFAULT_QUARANTINE_DAYS = 30;
const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/**
 * A live number is unique across accounts (an inbound call must route to exactly one). When another account holds
 * it (active, quarantined or reserved), the answer is this one, the same whoever holds it and naming nobody.
 */
export const numberNotAvailable = (e164: string): ConflictError =>
  new ConflictError(`${e164} is not available`, [{ path: 'body/e164', message: 'This number is not available' }]);

export class TrackingNumberService {
  constructor(
    private readonly deps: {
      db: Db;
      numbers: TrackingNumberStore;
      pools: PoolStore;
      sites: SiteStore;
      audit: AuditLog;
      events: EventBus;
      clock: Clock;
    },
  ) {}

  list(actor: Principal, filter: { poolId?: string; siteId?: string; status?: NumberStatus }): Promise<TrackingNumber[]> {
    return this.deps.numbers.list(this.deps.db, actor.accountId, filter);
  }

  async get(actor: Principal, id: string): Promise<TrackingNumber> {
    const n = await this.deps.numbers.get(this.deps.db, actor.accountId, id);
    if (!n) throw new NotFoundError(`Tracking number ${id} not found`);
    return n;
  }

  async create(actor: Principal, input: CreateTrackingNumberInput): Promise<TrackingNumber> {
    const siteId = await this.siteFor(actor, input.poolId ?? null, input.siteId ?? null);
    let n: TrackingNumber;
    try {
      n = await this.deps.numbers.create(this.deps.db, {
        id: newId(),
        accountId: actor.accountId,
        siteId,
        poolId: input.poolId ?? null,
        e164: input.e164,
        provider: input.provider,
        providerRef: input.providerRef ?? null,
        forwardTo: input.forwardTo ?? null,
        status: input.status ?? 'active',
        quarantinedUntil: null,
        monthlyCost: input.monthlyCost ?? null,
        currency: input.currency ?? null,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw await this.numberTaken(actor, input.e164);
      throw err;
    }
    await this.changed(actor, n, 'tracking_number.create', [n.poolId]);
    return n;
  }

  async update(actor: Principal, id: string, input: UpdateTrackingNumberInput): Promise<TrackingNumber> {
    const current = await this.get(actor, id);
    if (current.status === 'released') throw new ConflictError(`${current.e164} was released; add it again to reuse it`);
    const patch: { -readonly [K in keyof TrackingNumberPatch]: TrackingNumberPatch[K] } = {};
    if (input.poolId !== undefined) {
      patch.poolId = input.poolId;
      patch.siteId = await this.siteFor(actor, input.poolId, current.siteId);
    }
    if (input.forwardTo !== undefined) patch.forwardTo = input.forwardTo;
    if (input.providerRef !== undefined) patch.providerRef = input.providerRef;
    if (input.monthlyCost !== undefined) patch.monthlyCost = input.monthlyCost;
    if (input.currency !== undefined) patch.currency = input.currency;
    if (input.quarantineDays !== undefined && input.status !== 'quarantined') {
      throw new BadDataError('quarantineDays goes with status "quarantined"', [{ path: 'body/quarantineDays', message: 'needs status quarantined' }]);
    }
    if (input.status !== undefined && input.status !== current.status) {
      patch.status = input.status;
      patch.quarantinedUntil =
        input.status === 'quarantined' ? new Date(this.deps.clock.nowMs() + (input.quarantineDays ?? DEFAULT_QUARANTINE_DAYS) * 86_400_000) : null;
    }
    const n = await this.deps.numbers.update(this.deps.db, actor.accountId, id, patch);
    if (!n) throw new NotFoundError(`Tracking number ${id} not found`);
    await this.changed(actor, n, 'tracking_number.update', [current.poolId, n.poolId]);
    return n;
  }

  /** Releases the number (back to the carrier is the provider's business); its lease history stays. */
  /** Numbers whose quarantine is over go back into rotation (the scheduler runs this); returns how many. */
  async endExpiredQuarantines(): Promise<number> {
    const ended = await this.deps.numbers.endQuarantines(this.deps.db, this.deps.clock.now());
    const pools = new Map(ended.filter((n) => n.poolId).map((n) => [n.poolId!, n.accountId]));
    for (const [poolId, accountId] of pools) await this.deps.events.emit('pool.changed', { accountId, poolId });
    return ended.length;
  }

  async release(actor: Principal, id: string): Promise<void> {
    const current = await this.get(actor, id);
    if (current.status === 'released') return;
    const n = await this.deps.numbers.update(this.deps.db, actor.accountId, id, { status: 'released', quarantinedUntil: null });
    if (n) await this.changed(actor, n, 'tracking_number.release', [current.poolId]);
  }

  /** The conflict for a taken number: this account's own number is named as such, anyone else's is "not available". */
  private async numberTaken(actor: Principal, e164: string): Promise<ConflictError> {
    const own = (await this.deps.numbers.list(this.deps.db, actor.accountId, { e164 })).some((n) => n.status !== 'released');
    return own ? new ConflictError(`${e164} is already one of this account's tracking numbers`) : numberNotAvailable(e164);
  }

  private async siteFor(actor: Principal, poolId: string | null, siteId: string | null): Promise<string | null> {
    if (poolId) {
      const pool = await this.deps.pools.get(this.deps.db, actor.accountId, poolId);
      if (!pool) throw new NotFoundError(`Pool ${poolId} not found`);
      return pool.siteId;
    }
    if (siteId && !(await this.deps.sites.get(this.deps.db, actor.accountId, siteId))) throw new NotFoundError(`Site ${siteId} not found`);
    return siteId;
  }

  private async changed(actor: Principal, n: TrackingNumber, action: string, pools: readonly (string | null)[]): Promise<void> {
    await this.deps.audit.record(this.deps.db, actor, { action, targetType: 'tracking_number', targetId: n.id });
    for (const poolId of new Set(pools)) {
      if (poolId) await this.deps.events.emit('pool.changed', { accountId: n.accountId, poolId });
    }
    // Numbers outside pools route too (static numbers, PBX DIDs): the routing table reloads either way.
    if (!pools.some(Boolean)) await this.deps.events.emit('routing.changed', { accountId: n.accountId });
  }
}
