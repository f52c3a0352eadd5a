import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Call, NewCall } from './call-types.js';

/** What changed on a call, as seen by code that must react in the same transaction (the leads outbox). */
export interface CallChange {
  readonly accountId: string;
  readonly callId: string;
  readonly siteId: string | null;
  /**
   * started: the call record was created (ringing, attributed); answered; ended: the outcome is known;
   * recording.ready: the recording is stored and playable; attribution.changed: a manager re-assigned the call.
   */
  readonly trigger: 'call.started' | 'call.answered' | 'call.ended' | 'recording.ready' | 'attribution.changed';
}

/**
 * Runs inside the transaction that changes the call, so whatever it writes (an outbox row) commits or rolls back
 * with the change itself: no lead is lost or emitted for a change that did not happen.
 */
export interface CallChangeHook {
  onCallChange(trx: DbOrTrx, change: CallChange): Promise<void>;
  /**
   * Calls about to be created together in this transaction (none blocked), in order, before they are inserted and
   * before `onCallChange` with `call.started` runs for each: a hook may do the common work of many calls in a few
   * statements. It returns the lead id of each call it gave one, stored with the call's row (setting it after the
   * insert took one more statement and refreshed the calls' report facts a second time). The result must be what
   * `onCallChange` alone would have done for each in that order.
   */
  beforeCallsCreated?(trx: DbOrTrx, calls: readonly NewCall[]): Promise<ReadonlyMap<string, string>>;
  /**
   * Existing calls whose answers or ends are about to run `onCallChange` in this transaction, each once: a hook may
   * read what it needs of all of them in one statement. The result must be what `onCallChange` alone would do.
   */
  beforeCallsChanged?(trx: DbOrTrx, calls: readonly Call[]): Promise<void>;
}
