import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CallEvent, CallProvider } from './call-events.js';

const TABLE = 'call_events';

/** One ledger row: the event, and the call it belongs to once known. */
export interface LedgerEntry {
  readonly id: string;
  readonly accountId: string | null;
  readonly callId: string | null;
  readonly event: CallEvent;
}

/** Raw provider events: the idempotency ledger (UNIQUE(provider, event_key)) and the parking lot for early events. */
export class PgCallEventStore {
  /** Records the event once; false when this provider already delivered this key (a replay). */
  async record(db: DbOrTrx, e: LedgerEntry): Promise<boolean> {
    return (await this.recordMany(db, [e])).size > 0;
  }

  /** Records the events in one statement; returns the keys (`provider:eventKey`) recorded now, not replays. */
  async recordMany(db: DbOrTrx, es: readonly LedgerEntry[]): Promise<Set<string>> {
    if (!es.length) return new Set();
    const rows = (await db(TABLE)
      .insert(
        es.map((e) => ({
          id: e.id,
          account_id: e.accountId,
          call_id: e.callId,
          provider: e.event.provider,
          provider_call_id: e.event.providerCallId,
          event_key: e.event.eventKey,
          type: e.event.type,
          payload: JSON.stringify(e.event),
          occurred_at: e.event.occurredAt,
        })),
      )
      .onConflict(['provider', 'event_key'])
      .ignore()
      .returning(['provider', 'event_key'])) as { provider: string; event_key: string }[];
    return new Set(rows.map((r) => `${r.provider}:${r.event_key}`));
  }

  /** Which of these events the ledger holds already (as `provider:eventKey`): one query for a batch. */
  async existingKeys(db: DbOrTrx, events: readonly CallEvent[]): Promise<Set<string>> {
    if (!events.length) return new Set();
    const rows = (await db(TABLE)
      .select('provider', 'event_key')
      .whereIn(
        ['provider', 'event_key'],
        events.map((e) => [e.provider, e.eventKey]),
      )) as { provider: string; event_key: string }[];
    return new Set(rows.map((r) => `${r.provider}:${r.event_key}`));
  }

  /** Events that arrived before their call, oldest first; they are attached to the call as they are returned. */
  async claimPending(db: DbOrTrx, provider: CallProvider, providerCallId: string, callId: string, accountId: string): Promise<CallEvent[]> {
    return (await this.claimPendingMany(db, provider, [{ providerCallId, callId, accountId }])).get(providerCallId) ?? [];
  }

  /** `claimPending` for many new calls of one provider: one query, and one update when any were parked. */
  async claimPendingMany(
    db: DbOrTrx,
    provider: CallProvider,
    calls: readonly { providerCallId: string; callId: string; accountId: string }[],
  ): Promise<Map<string, CallEvent[]>> {
    const out = new Map<string, CallEvent[]>();
    if (!calls.length) return out;
    const byId = new Map(calls.map((c) => [c.providerCallId, c] as const));
    const rows = (await db(TABLE)
      .select('id', 'provider_call_id', 'payload')
      .where('provider', provider)
      .whereIn('provider_call_id', [...byId.keys()])
      .whereNull('call_id')
      .orderBy([{ column: 'occurred_at' }, { column: 'id' }])) as {
      id: string;
      provider_call_id: string;
      payload: CallEvent & { occurredAt: string };
    }[];
    // Parked events another tenant's login reported stay parked (and age out): never applied to this call.
    const own = rows.filter((r) => !r.payload.accountId || r.payload.accountId === byId.get(r.provider_call_id)!.accountId);
    if (!own.length) return out;
    await db.raw(
      `UPDATE ${TABLE} e SET call_id = v.call_id, account_id = v.account_id
         FROM jsonb_to_recordset(?::jsonb) AS v(id text, call_id text, account_id text) WHERE e.id = v.id`,
      [
        JSON.stringify(
          own.map((r) => ({ id: r.id, call_id: byId.get(r.provider_call_id)!.callId, account_id: byId.get(r.provider_call_id)!.accountId })),
        ),
      ],
    );
    for (const r of own) {
      const list = out.get(r.provider_call_id) ?? [];
      list.push({ ...r.payload, occurredAt: new Date(r.payload.occurredAt) } as CallEvent);
      out.set(r.provider_call_id, list);
    }
    return out;
  }

  async listForCall(db: DbOrTrx, accountId: string, callId: string): Promise<{ type: string; eventKey: string; occurredAt: Date }[]> {
    const rows = (await db(TABLE)
      .select('type', 'event_key', 'occurred_at')
      .where({ account_id: accountId, call_id: callId })
      .orderBy('occurred_at')) as {
      type: string;
      event_key: string;
      occurred_at: Date;
    }[];
    return rows.map((r) => ({ type: r.type, eventKey: r.event_key, occurredAt: r.occurred_at }));
  }

  /** Early events whose call never appeared (its ringing was lost for good): kept a while for debugging, then dropped. */
  async deleteOrphansBefore(db: DbOrTrx, before: Date): Promise<number> {
    return db(TABLE).whereNull('call_id').where('received_at', '<', before).del();
  }
}
