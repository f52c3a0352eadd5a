import type { DbOrTrx } from '../../adapters/db/knex.js';
import { parseStatus } from '../../adapters/telephony/twilio/twilio-webhook-parser.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { CallEvent, CallEventSink } from './call-events.js';
import type { PgCallStore } from './call-store.js';
import type { Call } from './call-types.js';

/** What the reconciler asks Twilio: the Call resource's final state (GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json). */
export interface TwilioCallLookup {
  /** null: the account has no Twilio login. */
  forAccount(accountId: string): Promise<{
    accountSid: string;
    fetchCall(callSid: string): Promise<{ status: string; duration: number | null; endTime: Date | null } | null>;
  } | null>;
}

/** The PBX's live channels (AMI CoreShowChannels): Uniqueid and Linkedid of each; null when not connected. */
export type AsteriskLiveCalls = () => Promise<ReadonlySet<string> | null>;

const FINAL = new Set(['completed', 'busy', 'no-answer', 'canceled', 'failed']);
/** A call this old that is still "ringing" or "in progress" in our records is asked about (final callbacks lost in a restart). */
export const STALE_AFTER_MS = 10 * 60_000;
const BATCH = 100;

/**
 * Closes calls whose final events never reached us (they arrived while the gateway was restarting, or the AMI
 * connection was down at hangup): Twilio is asked for the call's state and its answer is applied exactly as the
 * final status callback would have been (same event key, so a late real callback changes nothing); an Asterisk
 * call that is no longer among the PBX's live channels is closed as a missed hangup. Closing runs the call's
 * change hooks, so its leads go out like any other ended call's.
 */
export class StaleCallReconciler {
  constructor(
    private readonly deps: {
      db: DbOrTrx;
      calls: PgCallStore;
      sink: CallEventSink;
      twilio: TwilioCallLookup | null;
      asterisk: AsteriskLiveCalls | null;
      clock: Clock;
      logger: Logger;
      staleAfterMs?: number;
    },
  ) {}

  /** One pass over the oldest stale calls; returns how many it closed. */
  async runOnce(): Promise<number> {
    const now = this.deps.clock.now();
    const stale = await this.deps.calls.listUnfinishedBefore(
      this.deps.db,
      new Date(now.getTime() - (this.deps.staleAfterMs ?? STALE_AFTER_MS)),
      BATCH,
    );
    if (!stale.length) return 0;
    let live: ReadonlySet<string> | null | undefined;
    let closed = 0;
    for (const call of stale) {
      try {
        let events: CallEvent[] = [];
        if (call.provider === 'twilio') events = await this.twilioEvents(call, now);
        else {
          live ??= this.deps.asterisk ? await this.deps.asterisk() : null;
          if (live && !live.has(call.providerCallId)) events = [missedHangup(call, now)];
        }
        for (const e of events) await this.deps.sink.apply(e);
        if (events.some((e) => e.type === 'call.ended')) closed += 1;
      } catch (err) {
        this.deps.logger.warn({ err, callId: call.id, provider: call.provider }, 'stale call not reconciled; asking again next time');
      }
    }
    if (closed) this.deps.logger.info({ closed, checked: stale.length }, 'stale calls closed from the provider’s state');
    return closed;
  }

  private async twilioEvents(call: Call, now: Date): Promise<CallEvent[]> {
    const api = await this.deps.twilio?.forAccount(call.accountId);
    if (!api) return [];
    const state = await api.fetchCall(call.providerCallId);
    if (!state) return [missedHangup(call, now)];
    if (!FINAL.has(state.status)) return [];
    // The resource read as the status callback Twilio would have sent: one code path, one idempotency key.
    const { events } = parseStatus(
      {
        AccountSid: api.accountSid,
        CallSid: call.providerCallId,
        CallStatus: state.status,
        ...(state.duration !== null ? { CallDuration: String(state.duration) } : {}),
        ...(state.endTime ? { Timestamp: state.endTime.toUTCString().replace('GMT', '+0000') } : {}),
      },
      now,
    );
    return events.map((e) => ({ ...e, accountId: call.accountId, raw: { ...e.raw, reconciled: true } }));
  }
}

function missedHangup(call: Call, now: Date): CallEvent {
  return {
    type: 'call.ended',
    provider: call.provider,
    providerCallId: call.providerCallId,
    eventKey: `${call.providerCallId}:reconciled-end`,
    occurredAt: now,
    accountId: call.accountId,
    outcome: call.answeredAt ? 'completed' : 'no-answer',
    reason: 'reconciled:missed-hangup',
    closedBy: 'timeout',
  };
}
