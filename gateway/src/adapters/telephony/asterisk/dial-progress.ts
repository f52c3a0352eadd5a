import type { CallEvent } from '../../../features/calls/call-events.js';
import type { AmiMessage } from './ami-message.js';
import type { CallEmitter } from './call-emitter.js';
import type { Call, Channel, Leg, Stamp } from './call-state.js';
import type { ChannelTracker } from './channel-tracker.js';
import type { DidRule } from './did-source.js';
import { ANSWERING_APPS, causeToStatus } from './outcome-rules.js';

/**
 * Dialplan progress: dialled legs (DialBegin/DialEnd and the Asterisk <= 11 Dial events), channel state, the
 * variables that matter (DID, recording, DIALSTATUS, voicemail, dial times) and hangups.
 */
export class DialProgress {
  constructor(
    private readonly tracker: ChannelTracker,
    private readonly emitter: CallEmitter,
    private readonly did: DidRule,
  ) {}

  onDialBegin(callerId: string | null, destId: string | undefined, destName: string, out: CallEvent[]): void {
    if (!destId) return;
    const caller = callerId ? this.tracker.channels.get(callerId) : undefined;
    const dest = this.tracker.dialledChannel(destId, destName);
    this.tracker.disownDialled(dest);
    const call = this.tracker.callOf(caller);
    if (!call || call.ended) return;
    // Who dialled it says more than its Linkedid (which may be another call's after a bridge with it).
    if (dest.callId && dest.callId !== call.id && dest.callId !== dest.uniqueid) this.tracker.leave(dest);
    this.tracker.join(dest, call.id);
    if (call.legs.has(destId)) return;
    const anyOpen = [...call.legs.values()].some((l) => l.status === null && l.caller === callerId);
    if (!anyOpen && callerId === call.inbound) call.round += 1;
    call.legs.set(destId, { uniqueid: destId, caller: callerId, round: call.round, isLocal: dest.isLocal, status: null, answeredAt: null });
    this.emitter.confirm(call, out);
  }

  onDialEnd(callerId: string | null, destId: string | undefined, status: string, stamp: Stamp, out: CallEvent[]): void {
    const dest = destId ? this.tracker.channels.get(destId) : undefined;
    const caller = callerId ? this.tracker.channels.get(callerId) : undefined;
    const callerCall = this.tracker.callOf(caller);
    const call = callerCall?.legs.has(destId ?? '') ? callerCall : this.tracker.callOf(dest);
    if (!call || !dest || call.ended) return;
    let leg = call.legs.get(dest.uniqueid);
    if (!leg) {
      // Its DialBegin came before we were listening (adopted call, capture that starts mid-call).
      call.round = Math.max(call.round, 1);
      leg = { uniqueid: dest.uniqueid, caller: callerId, round: call.round, isLocal: dest.isLocal, status: null, answeredAt: null };
      call.legs.set(dest.uniqueid, leg);
    }
    if (leg.status !== null) return;
    this.settleLeg(call, leg, status.toUpperCase(), stamp, out);
  }

  /** Asterisk <= 11: `Dial` with `SubEvent: End`, one for the whole Dial. */
  onLegacyDialEnd(msg: AmiMessage, stamp: Stamp, out: CallEvent[]): void {
    const callerId = msg['uniqueid'];
    const caller = callerId ? this.tracker.channels.get(callerId) : undefined;
    const call = this.tracker.callOf(caller);
    if (!call) return;
    const status = (msg['dialstatus'] ?? '').toUpperCase();
    for (const leg of call.legs.values()) {
      if (leg.caller !== callerId || leg.status !== null) continue;
      // One End for the whole Dial: only the leg that answered gets ANSWER, the others were cancelled by it.
      const legUp = this.tracker.channels.get(leg.uniqueid)?.upAt;
      this.settleLeg(call, leg, status === 'ANSWER' && !legUp ? 'CANCEL' : status, stamp, out);
    }
  }

  settleLeg(call: Call, leg: Leg, status: string, stamp: Stamp, out: CallEvent[]): void {
    leg.status = status;
    if (status !== 'ANSWER') return;
    const up = this.tracker.channels.get(leg.uniqueid)?.upAt;
    leg.answeredAt = up ?? stamp;
    if (leg.isLocal) this.emitter.answerPbx(call, leg.answeredAt, out);
    else this.emitter.answerHuman(call, leg.answeredAt, out, leg.uniqueid);
  }

  onState(ch: Channel, state: number, stamp: Stamp, out: CallEvent[]): void {
    ch.state = state;
    if (state !== 6 || ch.upAt) return;
    ch.upAt = stamp;
    const call = this.tracker.callOf(ch);
    if (!call || call.ended) return;
    if (ch.uniqueid === call.inbound) {
      this.emitter.confirm(call, out);
      this.emitter.answerPbx(call, stamp, out, true);
    }
  }

  onNewexten(call: Call | undefined, ch: Channel | null, application: string, out: CallEvent[]): void {
    if (call && /^voicemail$/i.test(application)) call.voicemail = true;
    // Up during a Dial that then failed: the PBX only counts as answering if it goes on to serve the caller.
    if (call && ch?.uniqueid === call.inbound && call.earlyUp && !call.pbxAnswer && !call.humanAnswer && ANSWERING_APPS.test(application)) {
      if ([...call.legs.values()].every((l) => l.status !== null)) this.emitter.answerPbx(call, call.earlyUp, out);
    }
  }

  onVarSet(call: Call, ch: Channel, variable: string, value: string, stamp: Stamp, out: CallEvent[]): void {
    const bare = variable.replace(/^_+/, '');
    if (this.did.variable && bare === this.did.variable && value && !call.didFromVar) {
      call.didFromVar = value;
      this.emitter.confirm(call, out);
    }
    switch (bare) {
      case 'MIXMONITOR_FILENAME':
        if (value && !call.recordings.includes(value)) call.recordings.push(value);
        break;
      case 'DIALSTATUS':
        // Normally after the DialEnd events; settles legs whose DialEnd was filtered out or lost.
        for (const leg of call.legs.values())
          if (leg.caller === ch.uniqueid && leg.status === null && value) this.settleLeg(call, leg, value.toUpperCase(), stamp, out);
        break;
      case 'VMSTATUS':
      case 'VM_MESSAGEFILE':
        call.voicemail = true;
        break;
      case 'ANSWEREDTIME':
      case 'DIALEDTIME':
        if (ch.uniqueid === call.inbound && /^\d+$/.test(value)) call.dialTimes[bare === 'ANSWEREDTIME' ? 'answered' : 'dialed'] = Number(value);
        break;
    }
  }

  onHangup(ch: Channel, cause: string | undefined, causeTxt: string | undefined, stamp: Stamp, out: CallEvent[]): void {
    const call = this.tracker.callOf(ch);
    if (call && !call.ended) {
      const leg = call.legs.get(ch.uniqueid);
      if (leg && leg.status === null) {
        const status = causeToStatus(cause);
        if (status) leg.status = status;
      }
      if (call.inbound === ch.uniqueid) {
        this.emitter.confirm(call, out);
        this.emitter.close(call, stamp, 'provider', cause ? `${cause}${causeTxt ? ` ${causeTxt}` : ''}` : null, out, cause);
      }
    }
    // Members stay known until their call ends (a DialEnd may follow its leg's Hangup on old versions).
    if (!call) this.tracker.forget(ch);
  }
}
