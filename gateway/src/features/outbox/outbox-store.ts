import type { Knex } from 'knex';
import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import type { ClaimOptions, OutboxStore } from './outbox-store-type.js';
import type { NewOutboxMessage, OutboxFilter, OutboxMessage, OutboxStatus } from './outbox-types.js';

const TABLE = 'outbox';
const COLUMNS = [
  'id',
  'account_id',
  'topic',
  'sink_id',
  'aggregate_id',
  'dedupe_key',
  'payload',
  'status',
  'attempts',
  'next_attempt_at',
  'locked_until',
  'lease_id',
  'last_error',
  'created_at',
  'delivered_at',
] as const;

interface OutboxRow {
  id: string;
  account_id: string;
  topic: string;
  sink_id: string | null;
  aggregate_id: string | null;
  dedupe_key: string;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  lease_id: string | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const toDomain = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  accountId: r.account_id,
  topic: r.topic,
  sinkId: r.sink_id,
  aggregateId: r.aggregate_id,
  dedupeKey: r.dedupe_key,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at),
  lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
  leaseId: r.lease_id,
  lastError: r.last_error,
  createdAt: new Date(r.created_at),
  deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
});

/** Errors are kept short: they are for people reading the admin API, not a log. */
const MAX_ERROR_CHARS = 1_000;

// Lead rows are ordered per customer lead (their aggregate) and name their call in the payload; older rows and
// other topics use the call id as the aggregate.
const byCall = (q: Knex.QueryBuilder, callId: string) =>
  q.andWhere((w) => w.where('aggregate_id', callId).orWhereRaw("payload->>'callId' = ?", [callId]));

export class PgOutboxStore implements OutboxStore {
  async enqueue(db: DbOrTrx, m: NewOutboxMessage): Promise<OutboxMessage | null> {
    const rows = (await db(TABLE)
      .insert({
        id: newId(),
        account_id: m.accountId,
        topic: m.topic,
        sink_id: m.sinkId ?? null,
        aggregate_id: m.aggregateId ?? null,
        dedupe_key: m.dedupeKey,
        payload: JSON.stringify(m.payload),
        ...(m.runAt ? { next_attempt_at: m.runAt } : {}),
      })
      .onConflict('dedupe_key')
      .ignore()
      .returning(COLUMNS)) as OutboxRow[];
    return rows[0] ? toDomain(rows[0]) : null;
  }

  async claim(db: DbOrTrx, o: ClaimOptions): Promise<OutboxMessage[]> {
    if (!o.topics.length || o.limit < 1) return [];
    const lockedUntil = new Date(o.now.getTime() + o.leaseMs);
    // One statement: the sub-select locks the due rows (skipping rows another claimer holds) and the update leases
    // them, so no explicit transaction is needed (PGlite has a single connection to share).
    const result = await db.raw(
      `UPDATE ${TABLE} SET status = 'delivering', attempts = attempts + 1, locked_until = ?, lease_id = ?
       WHERE id IN (
         SELECT o.id FROM ${TABLE} o
         WHERE ((o.status = 'pending' AND o.next_attempt_at <= ?) OR (o.status = 'delivering' AND o.locked_until <= ?))
           AND o.topic = ANY(?)
           -- In order per (topic, sink, aggregate): a call's end is not sent while its start is still on the way,
           -- so two events of one call can never race to create two CRM records.
           AND (o.aggregate_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM ${TABLE} e
             WHERE e.aggregate_id = o.aggregate_id AND e.topic = o.topic AND e.sink_id IS NOT DISTINCT FROM o.sink_id
               AND e.status IN ('pending', 'delivering') AND e.id < o.id))
         ORDER BY o.next_attempt_at
         LIMIT ?
         FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS.join(', ')}`,
      [lockedUntil, o.leaseId, o.now, o.now, [...o.topics], o.limit],
    );
    return (result.rows as OutboxRow[]).map(toDomain);
  }

  async pruneDelivered(db: DbOrTrx, before: Date, limit: number): Promise<number> {
    // Batches keep each statement's locks and WAL small; the partial index on delivered_at finds the rows.
    const due = db(TABLE).select('id').where('status', 'delivered').andWhere('delivered_at', '<', before).orderBy('delivered_at').limit(limit);
    return db(TABLE).whereIn('id', due).del();
  }

  async complete(db: DbOrTrx, id: string, leaseId: string, now: Date): Promise<boolean> {
    const n = await db(TABLE)
      .where({ id, lease_id: leaseId, status: 'delivering' })
      .update({ status: 'delivered', delivered_at: now, locked_until: null, lease_id: null, last_error: null });
    return n === 1;
  }

  async fail(db: DbOrTrx, id: string, leaseId: string, error: string, nextAttemptAt: Date | null): Promise<boolean> {
    const n = await db(TABLE)
      .where({ id, lease_id: leaseId, status: 'delivering' })
      .update({
        status: nextAttemptAt ? 'pending' : 'dead',
        ...(nextAttemptAt ? { next_attempt_at: nextAttemptAt } : {}),
        last_error: error.slice(0, MAX_ERROR_CHARS),
        locked_until: null,
        lease_id: null,
      });
    return n === 1;
  }

  async release(db: DbOrTrx, id: string, leaseId: string, runAt: Date): Promise<boolean> {
    const n = await db(TABLE)
      .where({ id, lease_id: leaseId, status: 'delivering' })
      .update({
        status: 'pending',
        next_attempt_at: runAt,
        attempts: db.raw('GREATEST(attempts - 1, 0)'),
        locked_until: null,
        lease_id: null,
      });
    return n === 1;
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<OutboxMessage | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as OutboxRow | undefined;
    return row ? toDomain(row) : null;
  }

  async list(db: DbOrTrx, f: OutboxFilter): Promise<OutboxMessage[]> {
    const q = db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: f.accountId });
    if (f.status) q.andWhere('status', f.status);
    if (f.topic) q.andWhere('topic', f.topic);
    if (f.sinkId) q.andWhere('sink_id', f.sinkId);
    if (f.callId) byCall(q, f.callId);
    if (f.leadId) q.andWhere((w) => w.where('aggregate_id', f.leadId!).orWhereRaw("payload->>'leadId' = ?", [f.leadId!]));
    if (f.createdFrom) q.andWhere('created_at', '>=', f.createdFrom);
    if (f.createdTo) q.andWhere('created_at', '<', f.createdTo);
    if (f.before) q.andWhere('id', '<', f.before);
    const rows = (await q.orderBy('id', 'desc').limit(f.limit)) as OutboxRow[];
    return rows.map(toDomain);
  }

  async retry(db: DbOrTrx, accountId: string, id: string, now: Date): Promise<OutboxMessage | null> {
    const rows = (await db(TABLE)
      .where({ account_id: accountId, id })
      .whereIn('status', ['pending', 'dead', 'cancelled'])
      .update({ status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, lease_id: null })
      .returning(COLUMNS)) as OutboxRow[];
    return rows[0] ? toDomain(rows[0]) : null;
  }

  async replay(
    db: DbOrTrx,
    f: { accountId: string; callId?: string; createdFrom?: Date; createdTo?: Date; sinkId?: string },
    now: Date,
  ): Promise<number> {
    const q = db(TABLE).where({ account_id: f.accountId }).whereIn('status', ['pending', 'delivered', 'dead', 'cancelled']);
    if (f.callId) byCall(q, f.callId);
    if (f.sinkId) q.andWhere('sink_id', f.sinkId);
    if (f.createdFrom) q.andWhere('created_at', '>=', f.createdFrom);
    if (f.createdTo) q.andWhere('created_at', '<', f.createdTo);
    return q.update({ status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, lease_id: null, delivered_at: null });
  }

  async countByStatus(db: DbOrTrx, accountId: string | null): Promise<Record<string, number>> {
    const q = db(TABLE).select('status').count<{ status: string; count: number }[]>('* as count').groupBy('status');
    if (accountId) q.where({ account_id: accountId });
    const out: Record<string, number> = {};
    for (const r of await q) out[r.status] = Number(r.count);
    return out;
  }
}
