/**
 * The normalized telephony events. Both adapters (Twilio webhooks, Asterisk AMI) turn their provider's traffic into
 * these, and the call service applies them idempotently: a repeated event (same provider + eventKey) changes
 * nothing, and an out-of-order one never moves a call backwards (ended is final; answered never precedes ringing
 * in the stored state even if it arrives first).
 *
 *   call.ringing -> call.answered -> call.ended (completed | busy | no-answer | canceled | failed) -> recording.available
 */

export type CallProvider = 'twilio' | 'asterisk';

export const CALL_OUTCOMES = ['completed', 'busy', 'no-answer', 'canceled', 'failed'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Who picked up: a person, or the PBX itself (IVR, voicemail), or a machine detected by the provider. */
export type AnsweredBy = 'human' | 'machine' | 'ivr' | 'voicemail' | 'unknown';

interface CallEventBase {
  readonly provider: CallProvider;
  /**
   * The provider's id for the whole inbound call: Twilio's parent CallSid; for Asterisk the Uniqueid of the inbound
   * (trunk) channel, kept across Linkedid re-assignments. Always a string (Asterisk's "1770888509.40" is not a number).
   */
  readonly providerCallId: string;
  /** Unique per provider and event: the idempotency key (e.g. "CA...:status:3", "1770888509.40:hangup"). */
  readonly eventKey: string;
  /** When it happened at the provider (event timestamp), not when we received it. */
  readonly occurredAt: Date;
  /** The provider's payload, stored with the call for audit and debugging. */
  readonly raw?: Readonly<Record<string, unknown>>;
  /**
   * The tenant when the adapter knows it (Twilio: the account whose login signed the webhook). An event that names
   * a tenant is applied only to that tenant's call; otherwise the tracking number says.
   */
  readonly accountId?: string;
}

export interface CallRingingEvent extends CallEventBase {
  readonly type: 'call.ringing';
  /** The tracking number dialled, E.164. */
  readonly trackingNumber: string;
  /** The caller, E.164 when known; 'anonymous' when withheld. */
  readonly caller: string;
  /** Where the call is being forwarded, when the adapter knows. */
  readonly forwardTo?: string;
  /** The site when the adapter knows it. */
  readonly siteId?: string;
}

export interface CallAnsweredEvent extends CallEventBase {
  readonly type: 'call.answered';
  readonly answeredBy: AnsweredBy;
}

export interface CallEndedEvent extends CallEventBase {
  readonly type: 'call.ended';
  readonly outcome: CallOutcome;
  /** Explicit durations when the provider reports them; otherwise derived from the event times. */
  readonly ringSeconds?: number;
  readonly talkSeconds?: number;
  readonly answeredBy?: AnsweredBy;
  /** Provider detail: Q.850 cause, SIP code, Twilio status. */
  readonly reason?: string;
  /** 'timeout': the gateway closed a call whose hangup it never saw (e.g. after an AMI outage). */
  readonly closedBy?: 'provider' | 'timeout';
}

export type RecordingSource =
  | {
      readonly kind: 'twilio';
      readonly recordingSid: string;
      /** RecordingUrl without extension, as Twilio sends it. */
      readonly url: string;
      readonly accountSid: string;
      readonly durationSeconds: number | null;
      readonly channels: number | null;
      readonly status: 'completed' | 'absent' | 'failed';
    }
  | {
      readonly kind: 'asterisk';
      /** MIXMONITOR_FILENAME as Asterisk reports it (a path on the PBX host). */
      readonly path: string;
    };

export interface RecordingAvailableEvent extends CallEventBase {
  readonly type: 'recording.available';
  readonly source: RecordingSource;
}

export type CallEvent = CallRingingEvent | CallAnsweredEvent | CallEndedEvent | RecordingAvailableEvent;

/** Where adapters send their events. Implemented by the call service; adapters never touch the database. */
export interface CallEventSink {
  apply(event: CallEvent): Promise<void>;
}

/** A sink that can apply many events at once; per event, null when applied (or a no-op) or the error that stopped it. */
export interface CallBatchSink extends CallEventSink {
  applyMany(events: readonly CallEvent[]): Promise<(unknown | null)[]>;
}
