import type { Attribution } from '../attribution/attribution-types.js';
import type { AnsweredBy, CallOutcome, CallProvider } from './call-events.js';
import type { CallOrigin } from './call-origin.js';

export type CallStatus = 'ringing' | 'answered' | 'ended';

export interface Call {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly provider: CallProvider;
  readonly providerCallId: string;
  readonly trackingNumberId: string | null;
  readonly trackingE164: string;
  readonly caller: string;
  readonly forwardTo: string | null;
  readonly status: CallStatus;
  readonly outcome: CallOutcome | null;
  readonly answeredBy: AnsweredBy | null;
  readonly startedAt: Date;
  readonly answeredAt: Date | null;
  readonly endedAt: Date | null;
  readonly ringSeconds: number | null;
  readonly talkSeconds: number | null;
  readonly talkReported: boolean;
  readonly sessionId: string | null;
  readonly visitorId: string | null;
  readonly channelId: string | null;
  readonly attribution: Attribution | null;
  readonly firstTimeCaller: boolean | null;
  readonly blocked: boolean;
  /** The customer lead the call belongs to; null for blocked callers (and until the call is first recorded). */
  readonly leadId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type NewCall = Pick<
  Call,
  | 'id'
  | 'accountId'
  | 'siteId'
  | 'provider'
  | 'providerCallId'
  | 'trackingNumberId'
  | 'trackingE164'
  | 'caller'
  | 'forwardTo'
  | 'startedAt'
  | 'sessionId'
  | 'visitorId'
  | 'channelId'
  | 'attribution'
  | 'firstTimeCaller'
  | 'blocked'
> & {
  /** The customer lead, when it is known as the call is created (new calls of a batch); otherwise set later. */
  readonly leadId?: string | null;
};

export type CallPatch = Partial<
  Pick<
    Call,
    | 'status'
    | 'outcome'
    | 'answeredBy'
    | 'answeredAt'
    | 'endedAt'
    | 'ringSeconds'
    | 'talkSeconds'
    | 'talkReported'
    | 'sessionId'
    | 'visitorId'
    | 'channelId'
    | 'attribution'
  >
>;

/** A call with where it came from in words, as the API shows it. */
export interface CallView {
  readonly call: Call;
  readonly origin: CallOrigin;
}

export interface CallListFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly siteId?: string;
  readonly channelId?: string;
  readonly outcome?: CallOutcome;
  readonly caller?: string;
  readonly firstTime?: boolean;
  readonly leadId?: string;
  readonly status?: CallStatus;
  readonly campaign?: string;
  readonly tag?: string;
  /** Digits somewhere in the caller's number. */
  readonly callerContains?: string;
  /** Keyset paging: calls strictly older than this (startedAt, id). */
  readonly before?: { readonly startedAt: Date; readonly id: string };
  readonly limit: number;
}
