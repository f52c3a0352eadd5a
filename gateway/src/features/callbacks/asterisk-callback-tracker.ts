import type { AmiMessage } from '../../adapters/telephony/asterisk/ami-message.js';
import { eventTimestamp } from '../../adapters/telephony/asterisk/ami-message.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { CallEventSink, CallOutcome } from '../calls/call-events.js';
import type { CallbackOutcome } from '../inquiries/inquiry-types.js';

/** One placed Asterisk callback being followed. */
export interface WatchedCallback {
  readonly inquiryId: string;
  readonly accountId: string;
  /** The calls row's provider_call_id. */
  readonly providerCallId: string;
  /** The Uniqueids the Originate preset (`ChannelId`, `OtherChannelId`): the two halves of the Local channel. */
  readonly channelId: string;
  readonly otherChannelId: string;
}

interface State extends WatchedCallback {
  /** Local/…;1: it rings the business, and once that answers continues in the dialplan to dial the visitor. */
  first: string;
  readonly ids: Set<string>;
  actionId: string | null;
  businessAnswered: boolean;
  visitorAnswered: boolean;
  /** The last DialStatus of the visitor's leg (BUSY, NOANSWER, CANCEL…). */
  visitorDial: string | null;
  originateFailure: string | null;
  firstHangup: { at: Date; cause: string } | null;
  settleTimer: NodeJS.Timeout | null;
  readonly expires: NodeJS.Timeout;
}

/** OriginateResponse `Reason` (telephony.md A2): the control code of the business leg. */
const FAILURE_REASON: Record<string, CallOutcome> = { '1': 'canceled', '3': 'no-answer', '5': 'busy', '8': 'failed', '0': 'failed' };
/** DialEnd `DialStatus` of the visitor's leg, when it was not ANSWER. */
const DIAL_OUTCOME: Record<string, CallOutcome> = {
  BUSY: 'busy',
  NOANSWER: 'no-answer',
  CANCEL: 'canceled',
  CONGESTION: 'failed',
  CHANUNAVAIL: 'failed',
};
/** Hangup `Cause` (Q.850) of the first channel when nothing else said why. */
const CAUSE_OUTCOME: Record<string, CallOutcome> = { '17': 'busy', '18': 'no-answer', '19': 'no-answer', '21': 'failed', '34': 'failed' };

/**
 * Follows the progress of callbacks placed with AMI `Originate` on the dialer's own manager connection, and turns it
 * into the call events an inbound call gets (answered, ended with an outcome), applied to the callback's calls row:
 *
 * - the Originate presets the Uniqueids of both Local halves, so every event of the call is recognised by `Uniqueid`
 *   or `Linkedid` (legs dialled from a half inherit its Linkedid); a `VarSet DNI_CALLBACK` or the OriginateResponse's
 *   ActionID also claim a channel, for PBXs that ignore the preset ids;
 * - `OriginateResponse: Success` means the business answered; `Failure` ends the call with its `Reason`;
 * - a `DialEnd ANSWER` from the first half, or that half entering a bridge of two, means the visitor answered: the call
 *   is answered from then on (talk time counts from there);
 * - the first half's `Hangup` ends the call (after a short wait for a late OriginateResponse).
 *
 * Events are handled one at a time in arrival order. A callback not finished within `maxCallMs` is dropped from
 * memory; the stale-call job closes its row from the PBX's own state.
 */
export class AsteriskCallbackTracker {
  private readonly watched = new Map<string, State>();
  private readonly byId = new Map<string, State>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      sink: CallEventSink;
      /** Stores how far the callback got on its request. */
      outcome: (accountId: string, inquiryId: string, outcome: CallbackOutcome) => Promise<void>;
      clock: Clock;
      logger: Logger;
      /** How long a hangup waits for the OriginateResponse that says why (ms). */
      settleMs?: number;
      maxCallMs?: number;
    },
  ) {}

  watch(w: WatchedCallback): void {
    const s: State = {
      ...w,
      first: w.channelId,
      ids: new Set([w.channelId, w.otherChannelId]),
      actionId: null,
      businessAnswered: false,
      visitorAnswered: false,
      visitorDial: null,
      originateFailure: null,
      firstHangup: null,
      settleTimer: null,
      expires: setTimeout(() => this.forget(w.inquiryId), this.deps.maxCallMs ?? 4 * 3_600_000),
    };
    s.expires.unref?.();
    this.watched.set(w.inquiryId, s);
    for (const id of s.ids) this.byId.set(id, s);
  }

  /** The Originate's ActionID, known once its response came: its OriginateResponse names the call too. */
  actionSent(inquiryId: string, actionId: string | undefined): void {
    const s = this.watched.get(inquiryId);
    if (s && actionId) s.actionId = actionId;
  }

  forget(inquiryId: string): void {
    const s = this.watched.get(inquiryId);
    if (!s) return;
    clearTimeout(s.expires);
    if (s.settleTimer) clearTimeout(s.settleTimer);
    this.watched.delete(inquiryId);
    for (const id of s.ids) this.byId.delete(id);
  }

  get size(): number {
    return this.watched.size;
  }

  onEvent(e: AmiMessage): void {
    if (!this.watched.size) return;
    this.chain = this.chain
      .then(() => this.handle(e))
      .catch((err: unknown) => this.deps.logger.warn({ err, event: e['event'] }, 'callback progress event not applied'));
  }

  /** Resolves once every event received so far is handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private claim(s: State, id: string | undefined): void {
    if (!id || s.ids.has(id)) return;
    s.ids.add(id);
    this.byId.set(id, s);
  }

  private stateOf(e: AmiMessage): State | null {
    const name = (e['event'] ?? '').toLowerCase();
    if (name === 'originateresponse') {
      const byAction = [...this.watched.values()].find((s) => s.actionId !== null && s.actionId === e['actionid']);
      const s = byAction ?? this.byId.get(e['uniqueid'] ?? '') ?? null;
      // Its Uniqueid is the first half's: the real one where the PBX ignored the preset ids.
      if (s && e['uniqueid']) {
        this.claim(s, e['uniqueid']);
        s.first = e['uniqueid'];
      }
      return s;
    }
    if (name === 'varset' && (e['variable'] ?? '').replace(/^_+/, '') === 'DNI_CALLBACK') {
      const s = this.watched.get(e['value'] ?? '') ?? null;
      if (s) this.claim(s, e['uniqueid']);
      return s;
    }
    const s = this.byId.get(e['uniqueid'] ?? '') ?? this.byId.get(e['linkedid'] ?? '') ?? this.byId.get(e['destlinkedid'] ?? '') ?? null;
    if (s) {
      this.claim(s, e['uniqueid']);
      this.claim(s, e['destuniqueid']);
    }
    return s;
  }

  private async handle(e: AmiMessage): Promise<void> {
    const s = this.stateOf(e);
    if (!s) return;
    const at = eventTimestamp(e) ?? this.deps.clock.now();
    switch ((e['event'] ?? '').toLowerCase()) {
      case 'originateresponse': {
        if ((e['response'] ?? '').toLowerCase() === 'success') {
          s.businessAnswered = true;
          await this.deps.outcome(s.accountId, s.inquiryId, 'business_answered');
          return;
        }
        s.originateFailure = e['reason'] ?? '0';
        return this.end(s, at, FAILURE_REASON[s.originateFailure] ?? 'failed', `originate reason ${s.originateFailure}`);
      }
      case 'dialend': {
        if (e['uniqueid'] !== s.first) return;
        const status = (e['dialstatus'] ?? '').toUpperCase();
        if (status === 'ANSWER') return this.visitorAnswered(s, at);
        s.visitorDial = status;
        return;
      }
      case 'bridgeenter': {
        if (e['uniqueid'] === s.first && s.businessAnswered && Number(e['bridgenumchannels'] ?? 0) >= 2) return this.visitorAnswered(s, at);
        return;
      }
      case 'hangup': {
        if (e['uniqueid'] !== s.first) return;
        s.firstHangup = { at, cause: e['cause'] ?? '' };
        // Asterisk may send the OriginateResponse after the channel is gone: wait a moment for it before deciding.
        if (!s.businessAnswered && s.originateFailure === null) {
          s.settleTimer = setTimeout(() => this.onEvent({ event: 'DniCallbackSettle', uniqueid: s.first }), this.deps.settleMs ?? 2_000);
          return;
        }
        return this.endAfterHangup(s);
      }
      case 'dnicallbacksettle':
        return this.endAfterHangup(s);
      default:
        return;
    }
  }

  private async visitorAnswered(s: State, at: Date): Promise<void> {
    if (s.visitorAnswered) return;
    s.visitorAnswered = true;
    s.businessAnswered = true;
    await this.deps.outcome(s.accountId, s.inquiryId, 'visitor_answered');
    await this.deps.sink.apply({
      provider: 'asterisk',
      providerCallId: s.providerCallId,
      type: 'call.answered',
      eventKey: `${s.providerCallId}:answered`,
      occurredAt: at,
      answeredBy: 'human',
    });
  }

  private endAfterHangup(s: State): Promise<void> {
    const h = s.firstHangup;
    if (!h || !this.watched.has(s.inquiryId)) return Promise.resolve();
    const outcome: CallOutcome = s.visitorAnswered
      ? 'completed'
      : s.businessAnswered
        ? (DIAL_OUTCOME[s.visitorDial ?? ''] ?? 'no-answer')
        : (CAUSE_OUTCOME[h.cause] ?? 'failed');
    return this.end(s, h.at, outcome, `hangup cause ${h.cause}`);
  }

  private async end(s: State, at: Date, outcome: CallOutcome, reason: string): Promise<void> {
    if (!this.watched.has(s.inquiryId)) return;
    this.forget(s.inquiryId);
    // The request's outcome first: once the call reads as ended, how far it got is known too.
    if (!s.businessAnswered) await this.deps.outcome(s.accountId, s.inquiryId, 'failed');
    await this.deps.sink.apply({
      provider: 'asterisk',
      providerCallId: s.providerCallId,
      type: 'call.ended',
      eventKey: `${s.providerCallId}:ended`,
      occurredAt: at,
      outcome,
      reason,
      closedBy: 'provider',
    });
  }
}
