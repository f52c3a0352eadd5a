import type { Knex } from 'knex';
import type { ReleaseReason } from '../../features/number-pools/number-lease-store-type.js';
import type { Logger } from '../../logging/logger.js';
import type { Db } from '../db/knex.js';

/** One tracking number of a session pool as the in-memory engine holds it (a `number_lease_state` row). */
export interface Slot {
  readonly id: string;
  readonly accountId: string;
  poolId: string;
  e164: string;
  leasable: boolean;
  lease: Lease | null;
  releasedAt: number;
  lastVisitorId: string | null;
  /** Left the pool (syncPool): every heap entry for it is stale. */
  removed: boolean;
}

export interface Lease {
  readonly id: string;
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly leasedAt: number;
  lastSeen: number;
  expiresAt: number;
  readonly reclaimedFrom: string | null;
}

interface HistoryRow {
  readonly id: string;
  readonly account_id: string;
  readonly pool_id: string;
  readonly tracking_number_id: string;
  readonly e164: string;
  readonly session_id: string;
  readonly visitor_id: string | null;
  readonly leased_at: Date;
  readonly reclaimed_from: string | null;
  released_at: Date | null;
  release_reason: ReleaseReason | null;
}

const STATE = 'number_lease_state';
const HISTORY = 'number_leases';
/**
 * Rows per statement. Each statement takes its rows as one JSON parameter (`json_to_recordset`), so its cost on the
 * thread that serves HTTP is one JSON.stringify, not one knex binding per value; the chunk only bounds how long that
 * and PGlite's one statement take.
 */
const CHUNK = 2_000;
const json = (rows: readonly unknown[]): string => JSON.stringify(rows);
const idsOf = '(SELECT json_array_elements_text(?::json))';
const STATE_TYPES =
  'tracking_number_id text, account_id text, pool_id text, e164 text, leasable boolean, lease_id text, session_id text, visitor_id text, ' +
  'leased_at timestamptz, last_seen_at timestamptz, expires_at timestamptz, reclaimed_from text, released_at timestamptz, last_visitor_id text';
const columnsOf = (types: string): string[] => types.split(', ').map((t) => t.split(' ')[0] as string);
const STATE_COLUMNS = columnsOf(STATE_TYPES).join(', ');
const STATE_UPDATES = columnsOf(STATE_TYPES)
  .filter((c) => c !== 'tracking_number_id')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ');
const HISTORY_TYPES =
  'id text, account_id text, pool_id text, tracking_number_id text, e164 text, session_id text, visitor_id text, leased_at timestamptz, ' +
  'reclaimed_from text, released_at timestamptz, release_reason text';
const HISTORY_COLUMNS = columnsOf(HISTORY_TYPES).join(', ');
const d = (ms: number | null | undefined): Date | null => (ms === null || ms === undefined ? null : new Date(ms));

const stateRow = (s: Slot) => ({
  tracking_number_id: s.id,
  account_id: s.accountId,
  pool_id: s.poolId,
  e164: s.e164,
  leasable: s.leasable,
  lease_id: s.lease?.id ?? null,
  session_id: s.lease?.sessionId ?? null,
  visitor_id: s.lease?.visitorId ?? null,
  leased_at: d(s.lease?.leasedAt),
  last_seen_at: d(s.lease?.lastSeen),
  expires_at: d(s.lease?.expiresAt),
  reclaimed_from: s.lease?.reclaimedFrom ?? null,
  released_at: new Date(s.releasedAt),
  last_visitor_id: s.lastVisitorId,
});

/**
 * Write-behind of the in-memory lease engine to the SQL store's own tables (`number_lease_state`, `number_leases`):
 * changes are collected and written every `flushMs` in ONE transaction, so the tables always hold a consistent
 * snapshot of the engine as of some flush, which is what a restart rebuilds the engine from. A failed flush keeps
 * everything pending and is retried at the next tick; nothing is dropped.
 */
export class LeaseStateWriter {
  private dirty = new Map<string, Slot>();
  private removed = new Set<string>();
  private inserts = new Map<string, HistoryRow>();
  private closes = new Map<string, { at: Date; reason: ReleaseReason }>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly flushMs: number,
  ) {}

  changed(slot: Slot): void {
    this.dirty.set(slot.id, slot);
    this.schedule();
  }

  dropped(slot: Slot): void {
    this.dirty.delete(slot.id);
    this.removed.add(slot.id);
    this.schedule();
  }

  opened(slot: Slot, lease: Lease): void {
    this.inserts.set(lease.id, {
      id: lease.id,
      account_id: slot.accountId,
      pool_id: slot.poolId,
      tracking_number_id: slot.id,
      e164: slot.e164,
      session_id: lease.sessionId,
      visitor_id: lease.visitorId,
      leased_at: new Date(lease.leasedAt),
      reclaimed_from: lease.reclaimedFrom,
      released_at: null,
      release_reason: null,
    });
    this.changed(slot);
  }

  closed(slot: Slot, leaseId: string, at: number, reason: ReleaseReason): void {
    const row = this.inserts.get(leaseId);
    if (row) {
      // Opened and closed within one interval: one row, written complete.
      row.released_at = new Date(at);
      row.release_reason = reason;
    } else this.closes.set(leaseId, { at: new Date(at), reason });
    this.changed(slot);
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => undefined);
    }, this.flushMs);
    this.timer.unref();
  }

  /** Writes everything pending; returns how many history events it wrote. Flushes run one at a time. */
  async flush(): Promise<number> {
    while (this.running) await this.running.catch(() => 0);
    if (!this.dirty.size && !this.removed.size && !this.inserts.size && !this.closes.size) return 0;
    const batch = { dirty: this.dirty, removed: this.removed, inserts: this.inserts, closes: this.closes };
    this.dirty = new Map();
    this.removed = new Set();
    this.inserts = new Map();
    this.closes = new Map();
    // Row values are taken now, synchronously: later changes mark the slot dirty again for the next flush.
    const free = [...batch.dirty.values()].filter((s) => s.lease === null).map(stateRow);
    const held = [...batch.dirty.values()].filter((s) => s.lease !== null).map(stateRow);
    const history = [...batch.inserts.values()];
    const closes = [...batch.closes];
    this.running = this.db
      .transaction(async (trx) => {
        for (const ids of chunks([...batch.removed])) await trx.raw(`DELETE FROM ${STATE} WHERE tracking_number_id IN ${idsOf}`, [json(ids)]);
        await upsert(trx, free);
        // A session may move between two numbers within one interval: clear the held rows that change holder first,
        // so the one-number-per-session index never sees the old and the new holder at once. A renewal keeps its
        // holder and is not cleared: on page two that was a second rewrite of every renewed row, 22–78 ms of PGlite per
        // flush under bench:dni.
        for (const rows of chunks(held.map((r) => ({ id: r.tracking_number_id, session_id: r.session_id }))))
          await trx.raw(
            `UPDATE ${STATE} s SET lease_id = NULL, session_id = NULL
             FROM json_to_recordset(?::json) AS v (id text, session_id text)
             WHERE s.tracking_number_id = v.id AND s.lease_id IS NOT NULL AND s.session_id IS DISTINCT FROM v.session_id`,
            [json(rows)],
          );
        await upsert(trx, held);
        for (const rows of chunks(history))
          await trx.raw(
            `INSERT INTO ${HISTORY} (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM json_to_recordset(?::json) AS v (${HISTORY_TYPES})`,
            [json(rows)],
          );
        for (const rows of chunks(closes.map(([id, c]) => ({ id, at: c.at, reason: c.reason }))))
          await trx.raw(
            `UPDATE ${HISTORY} h SET released_at = v.at, release_reason = v.reason
             FROM json_to_recordset(?::json) AS v (id text, at timestamptz, reason text)
             WHERE h.id = v.id AND h.released_at IS NULL`,
            [json(rows)],
          );
        return history.length + closes.length;
      })
      .catch((err: unknown) => {
        this.restore(batch);
        this.logger.warn({ err }, 'lease state not written yet; retrying');
        throw err;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** A failed batch goes back in front of what came since (newer changes of the same keys win). */
  private restore(b: {
    dirty: Map<string, Slot>;
    removed: Set<string>;
    inserts: Map<string, HistoryRow>;
    closes: Map<string, { at: Date; reason: ReleaseReason }>;
  }): void {
    for (const [k, v] of b.dirty) if (!this.dirty.has(k) && !this.removed.has(k)) this.dirty.set(k, v);
    for (const k of b.removed) if (!this.dirty.has(k)) this.removed.add(k);
    for (const [k, v] of b.inserts) {
      const c = this.closes.get(k);
      if (c) {
        v.released_at = c.at;
        v.release_reason = c.reason;
        this.closes.delete(k);
      }
      this.inserts.set(k, v);
    }
    for (const [k, v] of b.closes) if (!this.closes.has(k)) this.closes.set(k, v);
    this.schedule();
  }

  /** Final flush; no timer afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}

function* chunks<T>(all: readonly T[]): Generator<T[]> {
  for (let i = 0; i < all.length; i += CHUNK) yield all.slice(i, i + CHUNK);
}

async function upsert(trx: Knex.Transaction, rows: readonly ReturnType<typeof stateRow>[]): Promise<void> {
  for (const part of chunks(rows))
    await trx.raw(
      `INSERT INTO ${STATE} (${STATE_COLUMNS}) SELECT ${STATE_COLUMNS} FROM json_to_recordset(?::json) AS v (${STATE_TYPES})
       ON CONFLICT (tracking_number_id) DO UPDATE SET ${STATE_UPDATES}`,
      [json(part)],
    );
}
