import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CallEvent } from '../calls/call-events.js';

const TABLE = 'call_event_inbox';
/** The column's default: due at once. */
const NOT_CLAIMED = '-infinity';

/** An event as the writer queues it: the id is its line in the journal and its row in the inbox. */
export interface InboxEntry {
  readonly id: string;
  readonly event: CallEvent;
  /** When this process received it (ms since the epoch): the order events are applied in. */
  readonly receivedAt: number;
}

export interface ClaimedEntry extends InboxEntry {
  /** Tries so far, this one included. */
  readonly attempts: number;
}

interface InboxRow {
  id: string;
  payload: CallEvent & { occurredAt: string };
  received_at: Date | string;
  attempts: number;
}

const toEntry = (r: InboxRow): ClaimedEntry => ({
  id: r.id,
  event: { ...r.payload, occurredAt: new Date(r.payload.occurredAt) } as CallEvent,
  receivedAt: new Date(r.received_at).getTime(),
  attempts: r.attempts,
});

/**
 * The call events received but not yet applied to calls (`call_event_inbox`): written many per statement behind the
 * voice answer, claimed by one replica at a time for a while (a crashed replica's claim runs out), deleted once
 * applied.
 */
export class PgCallEventInboxStore {
  constructor(private readonly db: DbOrTrx) {}

  /**
   * One multi-row INSERT; an event already there (same provider, key and signing tenant) is skipped. Returns the ids
   * inserted. Events `held(id)` says a callback here waits for are inserted claimed for `heldMs` (attempts still 0):
   * another replica's claims pass them by, and this process applies them at once through `claimIds`.
   */
  async insertMany(entries: readonly InboxEntry[], held?: (id: string) => boolean, heldMs = 0): Promise<string[]> {
    if (!entries.length) return [];
    const heldUntil = this.db.raw('now() + make_interval(secs => ?)', [heldMs / 1000]);
    const rows = (await this.db(TABLE)
      .insert(
        entries.map((e) => ({
          id: e.id,
          provider: e.event.provider,
          event_key: e.event.eventKey,
          signed_by: e.event.accountId ?? '',
          payload: JSON.stringify(e.event),
          received_at: new Date(e.receivedAt),
          // Every row names the same columns: a multi-row INSERT takes the first row's.
          claimed_until: held?.(e.id) ? heldUntil : NOT_CLAIMED,
        })),
      )
      .onConflict(['provider', 'event_key', 'signed_by'])
      .ignore()
      .returning('id')) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Up to `limit` due events, oldest first, held for `leaseMs`; rows another replica holds are skipped, not awaited. */
  async claim(limit: number, leaseMs: number): Promise<ClaimedEntry[]> {
    const result = (await this.db.raw(
      `UPDATE ${TABLE} SET claimed_until = now() + make_interval(secs => ?), attempts = attempts + 1
       WHERE id IN (SELECT id FROM ${TABLE} WHERE claimed_until <= now() ORDER BY received_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING id, payload, received_at, attempts`,
      [leaseMs / 1000, limit],
    )) as { rows: InboxRow[] };
    return result.rows.map(toEntry).sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * These events of this process's own (callbacks waiting for them), held for `leaseMs`, unless another replica
   * holds them. A row inserted held for this process (attempts 0) is ours to take whatever its claim says.
   */
  async claimIds(ids: readonly string[], leaseMs: number): Promise<ClaimedEntry[]> {
    if (!ids.length) return [];
    const due = this.db(TABLE)
      .select('id')
      .whereIn('id', [...ids])
      .where((q) => q.where('claimed_until', '<=', this.db.fn.now()).orWhere('attempts', 0))
      .forUpdate()
      .skipLocked();
    const rows = (await this.db(TABLE)
      .whereIn('id', due)
      .update({ claimed_until: this.db.raw('now() + make_interval(secs => ?)', [leaseMs / 1000]), attempts: this.db.raw('attempts + 1') })
      .returning(['id', 'payload', 'received_at', 'attempts'])) as InboxRow[];
    const result = { rows };
    return result.rows.map(toEntry).sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Applied (or refused for good): gone. */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.db(TABLE).whereIn('id', ids).del();
  }

  /** Due again in `delayMs` (0: at once, e.g. claimed by a stopping process that did not get to them). */
  async retryAfter(ids: readonly string[], delayMs: number): Promise<void> {
    if (!ids.length) return;
    await this.db(TABLE)
      .whereIn('id', ids)
      .update({ claimed_until: this.db.raw('now() + make_interval(secs => ?)', [delayMs / 1000]) });
  }

  async present(ids: readonly string[]): Promise<string[]> {
    if (!ids.length) return [];
    return (
      (await this.db(TABLE)
        .select('id')
        .whereIn('id', [...ids])) as { id: string }[]
    ).map((r) => r.id);
  }

  async count(): Promise<number> {
    const row = (await this.db(TABLE).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }
}
