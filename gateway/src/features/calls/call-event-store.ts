import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CallEvent, CallProvider } from './call-events.js';

const TABLE = 'call_events';

/** Raw provider events: the idempotency ledger (UNIQUE(provider, event_key)) and the parking lot for early events. */
export class PgCallEventStore {
  /** Records the event once; false when this provider already delivered this key (a replay). */
  async record(db: DbOrTrx, e: { id: string; accountId: string | null; callId: string | null; event: CallEvent }): Promise<boolean> {
    const rows = await db(TABLE)
      .insert({
        id: e.id,
        account_id: e.accountId,
        call_id: e.callId,
        provider: e.event.provider,
        provider_call_id: e.event.providerCallId,
        event_key: e.event.eventKey,
        type: e.event.type,
        payload: JSON.stringify(e.event),
        occurred_at: e.event.occurredAt,
      })
      .onConflict(['provider', 'event_key'])
      .ignore()
      .returning('id');
    return rows.length > 0;
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
    const rows = (await db(TABLE)
      .select('id', 'payload')
      .where({ provider, provider_call_id: providerCallId })
      .whereNull('call_id')
      .orderBy([{ column: 'occurred_at' }, { column: 'id' }])) as { id: string; payload: CallEvent & { occurredAt: string } }[];
    // Parked events another tenant's login reported stay parked (and age out): never applied to this call.
    const own = rows.filter((r) => !r.payload.accountId || r.payload.accountId === accountId);
    if (!own.length) return [];
    await db(TABLE)
      .whereIn(
        'id',
        own.map((r) => r.id),
      )
      .update({ call_id: callId, account_id: accountId });
    return own.map((r) => ({ ...r.payload, occurredAt: new Date(r.payload.occurredAt) }) as CallEvent);
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
