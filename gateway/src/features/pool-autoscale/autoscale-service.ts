import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { PoolHealthService } from '../number-pools/pool-health-service.js';
import type { PoolService } from '../number-pools/pool-service.js';
import type { Pool, PoolStore } from '../number-pools/pool-store-type.js';
import type { TrackingNumberService } from '../tracking-numbers/tracking-number-service.js';
import type { TrackingNumber } from '../tracking-numbers/tracking-number-store-type.js';
import type { TwilioNumberService } from '../twilio-numbers/twilio-number-service.js';
import type { AutoscaleStore } from './autoscale-store.js';
import {
  type AutoscaleAction,
  type AutoscaleSettings,
  type AutoscaleState,
  DEFAULT_AUTOSCALE_SETTINGS,
  RECENT_CALL_DAYS,
} from './autoscale-types.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Longer than a round takes (a few Twilio requests per number bought). */
const CLAIM_MS = 4 * MIN;

export interface AutoscaleDeps {
  readonly db: Db;
  readonly store: AutoscaleStore;
  readonly pools: PoolService;
  readonly poolStore: PoolStore;
  readonly health: Pick<PoolHealthService, 'recommendation'>;
  readonly numbers: TrackingNumberService;
  readonly twilio: Pick<TwilioNumberService, 'search' | 'buy' | 'release'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The autoscaler acts as the account's owner, recorded as nobody in particular (null user and key) in the audit log. */
const system = (accountId: string): Principal => ({ accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' });
const who = (p: Principal): string => p.userId ?? p.apiKeyId ?? 'unknown';

/** A done pause or quarantine can be undone; a release is final, a purchase is reversed by releasing the number. */
export const undoable = (a: AutoscaleAction): boolean => a.status === 'done' && (a.action === 'pause' || a.action === 'quarantine');

export class AutoscaleService {
  constructor(private readonly d: AutoscaleDeps) {}

  async get(actor: Principal, poolId: string): Promise<AutoscaleState & { pending: number }> {
    const pool = await this.d.pools.get(actor, poolId);
    const s = await this.d.store.get(this.d.db, actor.accountId, pool.id);
    const pending = await this.d.store.countPending(this.d.db, pool.id);
    return s
      ? { ...s, pending }
      : { poolId: pool.id, accountId: actor.accountId, settings: DEFAULT_AUTOSCALE_SETTINGS, aboveSince: null, belowSince: null, pending };
  }

  async put(actor: Principal, poolId: string, patch: Partial<AutoscaleSettings>): Promise<AutoscaleState & { pending: number }> {
    const pool = await this.d.pools.get(actor, poolId);
    if (pool.kind !== 'session' && patch.enabled)
      throw new BadDataError('Only session pools scale', [{ path: 'body/enabled', message: 'this is a static pool' }]);
    const current = await this.get(actor, poolId);
    await this.d.store.put(this.d.db, actor.accountId, pool.id, { ...current.settings, ...patch }, this.d.clock.now());
    return this.get(actor, poolId);
  }

  async actions(actor: Principal, poolId: string, limit: number): Promise<AutoscaleAction[]> {
    const pool = await this.d.pools.get(actor, poolId);
    return this.d.store.list(this.d.db, actor.accountId, pool.id, limit);
  }

  /** Every enabled pool, one after the other (the scheduled job); a failing pool does not stop the others. */
  async tickAll(): Promise<number> {
    let acted = 0;
    for (const s of await this.d.store.listEnabled(this.d.db)) {
      // Every replica runs the job; a claim keeps two from buying for one pool at once (it lapses if one dies).
      const now = this.d.clock.nowMs();
      if (!(await this.d.store.claim(this.d.db, s.poolId, new Date(now), new Date(now + CLAIM_MS)))) continue;
      try {
        acted += await this.tick(s);
      } catch (err) {
        this.d.logger.warn({ err, poolId: s.poolId }, 'pool autoscaling failed this round');
      } finally {
        await this.d.store.unclaim(this.d.db, s.poolId);
      }
    }
    return acted;
  }

  /** One round for one pool; returns how many actions it logged. */
  async tick(s: AutoscaleState): Promise<number> {
    const { db, clock } = this.d;
    const pool = await this.d.poolStore.getAny(db, s.poolId);
    if (pool?.kind !== 'session' || !s.settings.enabled) return 0;
    const actor = system(pool.accountId);
    const now = clock.nowMs();
    const all = (await this.d.numbers.list(actor, { poolId: pool.id })).filter((n) => n.status !== 'released');
    const latest = await this.d.store.latestByNumber(db, pool.id);
    let acted = await this.ageOut(pool, s.settings, all, latest, now);
    const live = (await this.d.numbers.list(actor, { poolId: pool.id })).filter((n) => n.status !== 'released');
    const active = live.filter((n) => n.status === 'active');
    const rec = (await this.d.health.recommendation(pool)).recommendedSize;
    const figures = { recommendedSize: rec, activeNumbers: active.length };
    let { aboveSince, belowSince } = s;
    if (rec > active.length) {
      belowSince = null;
      aboveSince ??= new Date(now);
      if (now - aboveSince.getTime() >= s.settings.growAfterMinutes * MIN) {
        acted += await this.grow(pool, s.settings, live, latest, rec - active.length, figures);
        aboveSince = new Date(now);
      }
    } else if (rec < active.length) {
      aboveSince = null;
      belowSince ??= new Date(now);
      if (now - belowSince.getTime() >= s.settings.shrinkAfterHours * HOUR) {
        acted += await this.pauseSurplus(pool, active, active.length - rec, figures);
        belowSince = new Date(now);
      }
    } else {
      aboveSince = null;
      belowSince = null;
    }
    await this.d.store.setTimers(db, pool.id, { aboveSince, belowSince });
    return acted;
  }

  /** Numbers the autoscaler paused long enough are quarantined; those quarantined long enough are released or asked about. */
  private async ageOut(
    pool: Pool,
    cfg: AutoscaleSettings,
    nums: readonly TrackingNumber[],
    latest: Map<string, AutoscaleAction>,
    now: number,
  ): Promise<number> {
    const actor = system(pool.accountId);
    let acted = 0;
    const recent = await this.d.store.callsSince(
      this.d.db,
      pool.accountId,
      nums.map((n) => n.id),
      new Date(now - RECENT_CALL_DAYS * DAY),
    );
    for (const n of nums) {
      const last = latest.get(n.id);
      if (last?.status !== 'done') continue;
      const since = now - last.createdAt.getTime();
      if (n.status === 'paused' && last.action === 'pause' && since >= cfg.quarantineAfterDays * DAY) {
        // The quarantine outlasts the wait for the release, so the number cannot drift back into rotation first.
        await this.d.numbers.update(actor, n.id, { status: 'quarantined', quarantineDays: Math.min(365, cfg.releaseAfterDays + 30) });
        await this.log(pool, n, 'quarantine', 'done', { pausedDays: Math.floor(since / DAY) });
        acted += 1;
      } else if (n.status === 'quarantined' && last.action === 'quarantine' && since >= cfg.releaseAfterDays * DAY) {
        const calls = recent.get(n.id) ?? 0;
        if (calls > 0) {
          await this.log(pool, n, 'release', 'pending', { recentCalls: calls, recentCallDays: RECENT_CALL_DAYS });
        } else {
          await this.release(actor, n);
          await this.log(pool, n, 'release', 'done', { recentCalls: 0, recentCallDays: RECENT_CALL_DAYS });
        }
        acted += 1;
      }
    }
    return acted;
  }

  /** Unpauses what the autoscaler paused itself first (still rented), then buys, within the size and cost limits. */
  private async grow(
    pool: Pool,
    cfg: AutoscaleSettings,
    live: readonly TrackingNumber[],
    latest: Map<string, AutoscaleAction>,
    wanted: number,
    figures: Record<string, number>,
  ): Promise<number> {
    const actor = system(pool.accountId);
    let acted = 0;
    let need = wanted;
    for (const n of live) {
      if (need <= 0) break;
      const last = latest.get(n.id);
      if (n.status !== 'paused' || last?.action !== 'pause' || last.status !== 'done') continue;
      await this.d.numbers.update(actor, n.id, { status: 'active' });
      await this.log(pool, n, 'unpause', 'done', figures);
      need -= 1;
      acted += 1;
    }
    const cost = live.reduce((s, n) => s + (n.monthlyCost ?? cfg.numberMonthlyCost), 0);
    const bySize = cfg.maxSize - live.length;
    const byCost = cfg.numberMonthlyCost > 0 ? Math.floor((cfg.monthlyCostCap - cost + 1e-9) / cfg.numberMonthlyCost) : need;
    const toBuy = Math.max(0, Math.min(need, bySize, byCost));
    if (toBuy === 0 || need <= 0) return acted;
    try {
      const offers = await this.d.twilio.search(actor, {
        country: cfg.country,
        ...(cfg.areaCode !== null ? { areaCode: cfg.areaCode } : {}),
        limit: toBuy,
      });
      for (const offer of offers.slice(0, toBuy)) {
        const bought = await this.d.twilio.buy(actor, { phoneNumber: offer.e164, siteId: pool.siteId, poolId: pool.id });
        const n = await this.d.numbers.update(actor, bought.id, { monthlyCost: cfg.numberMonthlyCost, currency: cfg.currency });
        await this.log(pool, n, 'buy', 'done', { ...figures, monthlyCostBefore: round(cost), monthlyCost: cfg.numberMonthlyCost });
        acted += 1;
      }
    } catch (err) {
      await this.d.store.log(this.d.db, {
        accountId: pool.accountId,
        poolId: pool.id,
        trackingNumberId: null,
        e164: null,
        action: 'buy',
        status: 'failed',
        details: { ...figures, error: (err as Error).message },
        at: this.d.clock.now(),
      });
      acted += 1;
    }
    return acted;
  }

  /** Pauses the least-called active numbers (last 30 days), the newest first among equals. */
  private async pauseSurplus(pool: Pool, active: readonly TrackingNumber[], surplus: number, figures: Record<string, number>): Promise<number> {
    const actor = system(pool.accountId);
    const now = this.d.clock.nowMs();
    const calls = await this.d.store.callsSince(
      this.d.db,
      pool.accountId,
      active.map((n) => n.id),
      new Date(now - RECENT_CALL_DAYS * DAY),
    );
    const order = [...active].sort(
      (a, b) => (calls.get(a.id) ?? 0) - (calls.get(b.id) ?? 0) || b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1),
    );
    // Never below one active number.
    const picked = order.slice(0, Math.min(surplus, active.length - 1));
    for (const n of picked) {
      await this.d.numbers.update(actor, n.id, { status: 'paused' });
      await this.log(pool, n, 'pause', 'done', { ...figures, recentCalls: calls.get(n.id) ?? 0 });
    }
    return picked.length;
  }

  private async release(actor: Principal, n: TrackingNumber): Promise<void> {
    if (n.provider === 'twilio' && n.providerRef) await this.d.twilio.release(actor, n.id);
    else await this.d.numbers.release(actor, n.id);
  }

  private log(pool: Pool, n: TrackingNumber, action: AutoscaleAction['action'], status: AutoscaleAction['status'], details: Record<string, unknown>) {
    return this.d.store.log(this.d.db, {
      accountId: pool.accountId,
      poolId: pool.id,
      trackingNumberId: n.id,
      e164: n.e164,
      action,
      status,
      details,
      at: this.d.clock.now(),
    });
  }

  /** An admin reverses a pause or quarantine: the number is active again and the shrink timer starts over. */
  async undo(actor: Principal, poolId: string, actionId: string): Promise<AutoscaleAction> {
    const { a, pool } = await this.actionOf(actor, poolId, actionId);
    if (a.action === 'release') throw new ConflictError('A released number cannot be un-released: it went back to the carrier');
    if (a.action === 'buy') throw new ConflictError('A purchase is reversed by releasing the number (DELETE /v1/twilio/numbers/{id})');
    if (!undoable(a)) throw new ConflictError(`This action is ${a.status} and cannot be undone`);
    const n = a.trackingNumberId ? await this.d.numbers.get(actor, a.trackingNumberId) : null;
    const expected = a.action === 'pause' ? 'paused' : 'quarantined';
    if (!n || n.status !== expected) throw new ConflictError(`The number is no longer ${expected}`);
    const now = this.d.clock.now();
    if (!(await this.d.store.decide(this.d.db, a.id, 'done', 'undone', who(actor), now))) throw new ConflictError('Already decided');
    await this.d.numbers.update(actor, n.id, { status: 'active' });
    await this.d.store.setTimers(this.d.db, pool.id, { aboveSince: null, belowSince: null });
    return this.d.store.log(this.d.db, {
      accountId: actor.accountId,
      poolId: pool.id,
      trackingNumberId: n.id,
      e164: n.e164,
      action: a.action === 'pause' ? 'unpause' : 'unquarantine',
      status: 'done',
      details: { undoes: a.id },
      decidedBy: who(actor),
      at: now,
    });
  }

  /** An admin confirms a pending release (the number took calls in the last 30 days). */
  async confirm(actor: Principal, poolId: string, actionId: string): Promise<AutoscaleAction> {
    const { a } = await this.actionOf(actor, poolId, actionId);
    if (a.status !== 'pending') throw new ConflictError(`This action is ${a.status}, not pending`);
    const n = a.trackingNumberId ? await this.d.numbers.get(actor, a.trackingNumberId) : null;
    if (n?.status !== 'quarantined') throw new ConflictError('The number is no longer quarantined');
    if (!(await this.d.store.decide(this.d.db, a.id, 'pending', 'done', who(actor), this.d.clock.now()))) throw new ConflictError('Already decided');
    await this.release(actor, n);
    return (await this.d.store.action(this.d.db, actor.accountId, poolId, a.id))!;
  }

  /** An admin keeps the number: the pending release is rejected and the number goes back into rotation. */
  async reject(actor: Principal, poolId: string, actionId: string): Promise<AutoscaleAction> {
    const { a, pool } = await this.actionOf(actor, poolId, actionId);
    if (a.status !== 'pending') throw new ConflictError(`This action is ${a.status}, not pending`);
    const now = this.d.clock.now();
    if (!(await this.d.store.decide(this.d.db, a.id, 'pending', 'rejected', who(actor), now))) throw new ConflictError('Already decided');
    const n = a.trackingNumberId ? await this.d.numbers.get(actor, a.trackingNumberId).catch(() => null) : null;
    if (n && n.status === 'quarantined') {
      await this.d.numbers.update(actor, n.id, { status: 'active' });
      await this.d.store.setTimers(this.d.db, pool.id, { aboveSince: null, belowSince: null });
      await this.d.store.log(this.d.db, {
        accountId: actor.accountId,
        poolId: pool.id,
        trackingNumberId: n.id,
        e164: n.e164,
        action: 'unquarantine',
        status: 'done',
        details: { rejects: a.id },
        decidedBy: who(actor),
        at: now,
      });
    }
    return (await this.d.store.action(this.d.db, actor.accountId, poolId, a.id))!;
  }

  private async actionOf(actor: Principal, poolId: string, actionId: string): Promise<{ a: AutoscaleAction; pool: Pool }> {
    const pool = await this.d.pools.get(actor, poolId);
    const a = await this.d.store.action(this.d.db, actor.accountId, pool.id, actionId);
    if (!a) throw new NotFoundError(`Action ${actionId} not found`);
    return { a, pool };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
