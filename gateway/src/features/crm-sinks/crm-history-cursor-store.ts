import type { DbOrTrx } from '../../adapters/db/knex.js';

export interface HistorySink {
  readonly id: string;
  readonly accountId: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secretsSealed: string | null;
  readonly createdAt: Date;
}

export interface HistoryClaim {
  /** The largest change id applied so far (null: never polled). */
  readonly sinceId: number | null;
}

/** The RetailCRM sinks that take deal status from the order history, and where each one's polling has got to. */
export class PgCrmHistoryCursorStore {
  async pollingSinks(db: DbOrTrx): Promise<HistorySink[]> {
    const rows = (await db('crm_sinks')
      .where({ kind: 'retailcrm', status: 'active' })
      .whereRaw(`config->>'statusSync' = 'history'`)
      .orderBy('id')
      .select('id', 'account_id', 'config', 'secrets_sealed', 'created_at')) as {
      id: string;
      account_id: string;
      config: Record<string, unknown>;
      secrets_sealed: string | null;
      created_at: Date;
    }[];
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      config: r.config,
      secretsSealed: r.secrets_sealed,
      createdAt: new Date(r.created_at),
    }));
  }

  /** Takes the sink's cursor for `leaseMs` unless another replica holds it; null when it does. */
  async claim(db: DbOrTrx, sink: { id: string; accountId: string }, now: Date, leaseMs: number): Promise<HistoryClaim | null> {
    await db.raw('INSERT INTO crm_history_cursors (sink_id, account_id) VALUES (?, ?) ON CONFLICT (sink_id) DO NOTHING', [sink.id, sink.accountId]);
    const r = (await db.raw(
      `UPDATE crm_history_cursors SET claimed_until = ?
       WHERE sink_id = ? AND (claimed_until IS NULL OR claimed_until < ?) RETURNING since_id`,
      [new Date(now.getTime() + leaseMs), sink.id, now],
    )) as { rows: { since_id: string | number | null }[] };
    const row = r.rows[0];
    if (!row) return null;
    return { sinceId: row.since_id === null ? null : Number(row.since_id) };
  }

  /** Moves the cursor to `sinceId` (never back) and lets go of it; `error` is what stopped the poll, if anything. */
  async release(db: DbOrTrx, sinkId: string, o: { sinceId: number | null; now: Date; error: string | null }): Promise<void> {
    await db.raw(
      `UPDATE crm_history_cursors
       SET since_id = CASE WHEN CAST(? AS bigint) IS NULL THEN since_id ELSE GREATEST(coalesce(since_id, 0), CAST(? AS bigint)) END,
         polled_at = ?, claimed_until = NULL, last_error = ? WHERE sink_id = ?`,
      [o.sinceId, o.sinceId, o.now, o.error, sinkId],
    );
  }
}
