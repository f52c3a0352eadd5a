import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import {
  type AutoscaleAction,
  type AutoscaleActionKind,
  type AutoscaleActionStatus,
  type AutoscaleSettings,
  type AutoscaleState,
  DEFAULT_AUTOSCALE_SETTINGS,
} from './autoscale-types.js';

interface StateRow {
  pool_id: string;
  account_id: string;
  settings: Partial<AutoscaleSettings> | string;
  above_since: Date | null;
  below_since: Date | null;
}

interface ActionRow {
  id: string;
  pool_id: string;
  tracking_number_id: string | null;
  e164: string | null;
  action: AutoscaleActionKind;
  status: AutoscaleActionStatus;
  details: Record<string, unknown> | string;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

const toState = (r: StateRow): AutoscaleState => ({
  poolId: r.pool_id,
  accountId: r.account_id,
  settings: { ...DEFAULT_AUTOSCALE_SETTINGS, ...json(r.settings) },
  aboveSince: r.above_since,
  belowSince: r.below_since,
});

const toAction = (r: ActionRow): AutoscaleAction => ({
  id: r.id,
  poolId: r.pool_id,
  trackingNumberId: r.tracking_number_id,
  e164: r.e164,
  action: r.action,
  status: r.status,
  details: json(r.details),
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  createdAt: r.created_at,
});

/** `pool_autoscale` (settings and timers per pool) and `pool_autoscale_actions` (the action log). */
export class AutoscaleStore {
  async get(db: DbOrTrx, accountId: string, poolId: string): Promise<AutoscaleState | null> {
    const row = (await db('pool_autoscale').where({ account_id: accountId, pool_id: poolId }).first()) as StateRow | undefined;
    return row ? toState(row) : null;
  }

  async listEnabled(db: DbOrTrx): Promise<AutoscaleState[]> {
    const rows = (await db('pool_autoscale').whereRaw("(settings->>'enabled')::boolean = true")) as StateRow[];
    return rows.map(toState);
  }

  async put(db: DbOrTrx, accountId: string, poolId: string, settings: AutoscaleSettings, now: Date): Promise<AutoscaleState> {
    const [row] = (await db('pool_autoscale')
      .insert({ pool_id: poolId, account_id: accountId, settings: JSON.stringify(settings), updated_at: now })
      .onConflict('pool_id')
      .merge(['settings', 'updated_at'])
      .returning('*')) as StateRow[];
    return toState(row!);
  }

  /** Claims the pool's round until `until`, unless another replica holds an unexpired claim; false then. */
  async claim(db: DbOrTrx, poolId: string, now: Date, until: Date): Promise<boolean> {
    const n = await db('pool_autoscale')
      .where({ pool_id: poolId })
      .where((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<=', now))
      .update({ claimed_until: until });
    return n === 1;
  }

  async unclaim(db: DbOrTrx, poolId: string): Promise<void> {
    await db('pool_autoscale').where({ pool_id: poolId }).update({ claimed_until: null });
  }

  async setTimers(db: DbOrTrx, poolId: string, t: { aboveSince: Date | null; belowSince: Date | null }): Promise<void> {
    await db('pool_autoscale').where({ pool_id: poolId }).update({ above_since: t.aboveSince, below_since: t.belowSince });
  }

  async log(
    db: DbOrTrx,
    a: {
      accountId: string;
      poolId: string;
      trackingNumberId: string | null;
      e164: string | null;
      action: AutoscaleActionKind;
      status: AutoscaleActionStatus;
      details: Record<string, unknown>;
      decidedBy?: string | null;
      at: Date;
    },
  ): Promise<AutoscaleAction> {
    const [row] = (await db('pool_autoscale_actions')
      .insert({
        id: newId(),
        account_id: a.accountId,
        pool_id: a.poolId,
        tracking_number_id: a.trackingNumberId,
        e164: a.e164,
        action: a.action,
        status: a.status,
        details: JSON.stringify(a.details),
        decided_by: a.decidedBy ?? null,
        decided_at: a.decidedBy ? a.at : null,
        created_at: a.at,
      })
      .returning('*')) as ActionRow[];
    return toAction(row!);
  }

  async list(db: DbOrTrx, accountId: string, poolId: string, limit: number): Promise<AutoscaleAction[]> {
    const rows = (await db('pool_autoscale_actions')
      .where({ account_id: accountId, pool_id: poolId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)) as ActionRow[];
    return rows.map(toAction);
  }

  async action(db: DbOrTrx, accountId: string, poolId: string, id: string): Promise<AutoscaleAction | null> {
    const row = (await db('pool_autoscale_actions').where({ account_id: accountId, pool_id: poolId, id }).first()) as ActionRow | undefined;
    return row ? toAction(row) : null;
  }

  /** Moves an action from `from` to `to` once (false when someone else decided it first). */
  async decide(db: DbOrTrx, id: string, from: AutoscaleActionStatus, to: AutoscaleActionStatus, by: string | null, at: Date): Promise<boolean> {
    const n = await db('pool_autoscale_actions').where({ id, status: from }).update({ status: to, decided_by: by, decided_at: at });
    return n === 1;
  }

  async countPending(db: DbOrTrx, poolId: string): Promise<number> {
    const row = (await db('pool_autoscale_actions').where({ pool_id: poolId, status: 'pending' }).count({ n: '*' }).first()) as
      | { n: string | number }
      | undefined;
    return Number(row?.n ?? 0);
  }

  /** The autoscaler's newest action on each of these numbers (to know which paused numbers it paused itself). */
  async latestByNumber(db: DbOrTrx, poolId: string): Promise<Map<string, AutoscaleAction>> {
    const rows = (await db('pool_autoscale_actions')
      .where({ pool_id: poolId })
      .whereNotNull('tracking_number_id')
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])) as ActionRow[];
    const out = new Map<string, AutoscaleAction>();
    for (const r of rows) out.set(r.tracking_number_id!, toAction(r));
    return out;
  }

  /** Calls per tracking number of the pool since `since`. */
  async callsSince(db: DbOrTrx, accountId: string, ids: readonly string[], since: Date): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const rows = (await db('calls')
      .where({ account_id: accountId })
      .whereIn('tracking_number_id', ids)
      .where('started_at', '>=', since)
      .groupBy('tracking_number_id')
      .select('tracking_number_id', db.raw('count(*)::int as n'))) as { tracking_number_id: string; n: number }[];
    return new Map(rows.map((r) => [r.tracking_number_id, Number(r.n)]));
  }
}
