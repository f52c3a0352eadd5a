import type { AnsweredBy, CallEvent } from '../../../features/calls/call-events.js';
import { secondsBetween } from './call-state.js';
import type { Call, Stamp } from './call-state.js';
import type { ChannelTracker } from './channel-tracker.js';
import type { DidRule } from './did-source.js';
import { decideOutcome } from './outcome-rules.js';
import type { PbxNumberResolver } from './pbx-numbers.js';

/**
 * Emission: turns a call's state changes into `call.ringing / call.answered / call.ended / recording.available`,
 * each at most once per call, in that order.
 */
export class CallEmitter {
  constructor(
    private readonly tracker: ChannelTracker,
    private readonly did: DidRule,
    private readonly resolveNumbers: PbxNumberResolver,
  ) {}

  confirm(call: Call, out: CallEvent[]): void {
    if (call.confirmed) return;
    call.confirmed = true;
    this.emitRinging(call, out);
  }

  answerHuman(call: Call, at: Stamp, out: CallEvent[], leg?: string): void {
    if (call.humanAnswer) return;
    call.humanAnswer = at;
    call.humanLeg = leg ?? null;
    this.emitAnswered(call, at, 'human', out);
  }

  /** `inboundUp`: the inbound channel itself went Up; otherwise a Local leg answered (the PBX took the call). */
  answerPbx(call: Call, at: Stamp, out: CallEvent[], inboundUp = false): void {
    if (call.pbxAnswer || call.humanAnswer) return;
    // While a Dial is still ringing, the inbound channel going Up is not an answer yet: what follows decides.
    if (inboundUp && [...call.legs.values()].some((l) => l.status === null)) {
      call.earlyUp ??= at;
      return;
    }
    call.pbxAnswer = at;
    this.emitAnswered(call, at, call.voicemail ? 'voicemail' : 'ivr', out);
  }

  close(call: Call, stamp: Stamp, by: 'provider' | 'timeout', reason: string | null, out: CallEvent[], cause?: string): void {
    if (call.ended) return;
    if (!call.confirmed) {
      this.tracker.drop(call);
      return;
    }
    call.ended = stamp;
    call.closedBy = by;
    call.reason = reason;
    const { outcome, answeredBy } = decideOutcome(call, cause);
    call.outcome = outcome;
    call.answeredBy = answeredBy;
    const answeredAt = call.humanAnswer ?? call.pbxAnswer;
    if (answeredAt && !call.answeredSent) this.emitAnswered(call, answeredAt, answeredBy ?? 'unknown', out);
    out.push({
      type: 'call.ended',
      provider: 'asterisk',
      providerCallId: call.id,
      eventKey: `${call.id}:ended`,
      occurredAt: stamp.at,
      outcome,
      ringSeconds: secondsBetween(call.started, answeredAt ?? stamp),
      talkSeconds: answeredAt ? secondsBetween(answeredAt, stamp) : 0,
      ...(answeredBy ? { answeredBy } : {}),
      ...(reason ? { reason } : {}),
      closedBy: by,
      raw: { uniqueid: call.id, legs: [...call.legs.values()].map((l) => ({ uniqueid: l.uniqueid, status: l.status })) },
    });
    for (const path of call.recordings) this.emitRecording(call, path, stamp.at, out);
    this.tracker.finish(call);
  }

  emitRecording(call: Call, path: string, at: Date, out: CallEvent[]): void {
    out.push({
      type: 'recording.available',
      provider: 'asterisk',
      providerCallId: call.id,
      eventKey: `${call.id}:recording:${path}`,
      occurredAt: at,
      source: { kind: 'asterisk', path },
      raw: { uniqueid: call.id },
    });
  }

  private emitRinging(call: Call, out: CallEvent[]): void {
    if (call.ringingSent) return;
    call.ringingSent = true;
    const did = this.did.of(call);
    const caller = call.callerIdNum;
    const resolved = this.resolveNumbers(did, caller);
    out.push({
      type: 'call.ringing',
      provider: 'asterisk',
      providerCallId: call.id,
      eventKey: `${call.id}:ringing`,
      occurredAt: call.started.at,
      trackingNumber: resolved.trackingNumber,
      caller: resolved.caller,
      raw: { uniqueid: call.id, did, callerIdNum: caller },
    });
  }

  private emitAnswered(call: Call, at: Stamp, by: AnsweredBy, out: CallEvent[]): void {
    if (call.answeredSent || call.ended) return;
    this.confirm(call, out);
    call.answeredSent = true;
    out.push({
      type: 'call.answered',
      provider: 'asterisk',
      providerCallId: call.id,
      eventKey: `${call.id}:answered`,
      occurredAt: at.at,
      answeredBy: by,
      raw: { uniqueid: call.id },
    });
  }
}
