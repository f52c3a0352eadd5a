import type { CallEvent } from '../../../features/calls/call-events.js';
import { eventTimestamp } from './ami-message.js';
import type { AmiMessage } from './ami-message.js';
import { Bridges } from './bridges.js';
import { CallEmitter } from './call-emitter.js';
import { CallRecords } from './call-records.js';
import { MEMORY, durationMs, isNumber, nonEmptyNumber } from './call-state.js';
import type { Stamp } from './call-state.js';
import { summariseCall } from './call-summary.js';
import type { CallSummary } from './call-summary.js';
import { ChannelTracker } from './channel-tracker.js';
import { DialProgress } from './dial-progress.js';
import { DidRule } from './did-source.js';
import type { DidSource } from './did-source.js';
import { pbxNumberResolver } from './pbx-numbers.js';
import type { PbxNumberResolver } from './pbx-numbers.js';

export { parseDidSource } from './did-source.js';
export type { DidSource } from './did-source.js';
export type { CallSummary } from './call-summary.js';

/**
 * Turns the AMI event stream into per-call `call.ringing / call.answered / call.ended / recording.available`.
 * A pure state machine: `handle(message)` returns the events it produced; no I/O, no timers (the adapter drives
 * `sweep` and `resync`). This file dispatches events and handles reconnects; the parts live beside it:
 * channel-tracker.ts (channels and call membership), dial-progress.ts (dialled legs, state, variables, hangups),
 * bridges.ts (bridges, masquerades), outcome-rules.ts (the outcome), call-emitter.ts (the events),
 * call-records.ts and call-summary.ts (Cdr/CEL clocks and the replay summary), did-source.ts (where the DID is read).
 *
 * Identity. A call is keyed by the Uniqueid of its inbound channel (a string, never a number). Channels join a call
 * by Linkedid at creation, as the destination of a DialBegin from one of its channels, or as the other half of a
 * Local/...;1/;2 pair. Linkedid changes later (transfers, Local-channel optimisation, bridges with an older call)
 * only add aliases; a channel never moves from one call to another, so calls are neither split nor merged.
 *
 * Which channel is inbound: a channel that starts its own Linkedid (trunk legs do; Dial-created legs inherit the
 * caller's) and, with inbound contexts configured, whose Context at creation is one of them. Without contexts
 * (replaying an unknown capture) any such non-Local channel. A candidate that has no Exten, or was inferred, only
 * becomes a call on its first sign of life (it dials, is answered, hangs up, or its DID variable appears), so a Dial
 * that turns out to have created it (Originate, Asterisk 11 without Linkedid) can still claim it.
 *
 * Times: `Timestamp:` headers (timestampevents = yes), else the receive clock for live events; summaries of captures
 * without timestamps fall back to CEL EventTime, then Cdr, and report null rather than guess.
 */

export interface CallNormaliserOptions {
  /** Dialplan contexts of inbound trunk channels; empty = infer (see above). */
  readonly inboundContexts: readonly string[];
  readonly didSource: DidSource;
  /** Receive time, used when an event has no `Timestamp:` header. */
  readonly now: () => Date;
  /** DID and caller to E.164 (default: international formats only, anything else kept as sent). */
  readonly numbers?: PbxNumberResolver;
}

const SNAPSHOTLESS = new Set(['cdr', 'cel', 'coreshowchannel', 'coreshowchannelscomplete', 'fullybooted']);

export class CallNormaliser {
  private readonly tracker: ChannelTracker;
  private readonly did: DidRule;
  private readonly emitter: CallEmitter;
  private readonly dial: DialProgress;
  private readonly bridges: Bridges;
  private readonly records: CallRecords;
  private readonly seenSequence = new Set<string>();
  private readonly listing: AmiMessage[] = [];

  constructor(private readonly opts: CallNormaliserOptions) {
    this.did = new DidRule(opts.didSource);
    this.tracker = new ChannelTracker({ inboundContexts: opts.inboundContexts, didVariable: this.did.variable, now: opts.now });
    this.emitter = new CallEmitter(this.tracker, this.did, opts.numbers ?? pbxNumberResolver(null));
    this.dial = new DialProgress(this.tracker, this.emitter, this.did);
    this.bridges = new Bridges(this.tracker, this.emitter, this.dial);
    this.records = new CallRecords(this.tracker);
  }

  /** Feeds one AMI message (responses are ignored); returns the call events it produced, in order. */
  handle(msg: AmiMessage): CallEvent[] {
    const name = msg['event']?.toLowerCase();
    if (!name || this.isDuplicate(msg, name)) return [];
    const ts = eventTimestamp(msg);
    const stamp: Stamp = ts ? { at: ts, exact: true } : { at: this.opts.now(), exact: false };
    const out: CallEvent[] = [];

    if (name === 'cdr') {
      this.records.onCdr(msg);
      return out;
    }
    if (name === 'cel') {
      this.records.onCel(msg);
      return out;
    }
    // A CoreShowChannels listing inside the stream (a capture that starts with one): adopt the calls in progress.
    if (name === 'coreshowchannel') {
      if (this.listing.length < MEMORY) this.listing.push(msg);
      return out;
    }
    if (name === 'coreshowchannelscomplete') {
      this.adopt(this.listing.splice(0), this.opts.now(), out);
      return out;
    }
    if (SNAPSHOTLESS.has(name)) return out;

    const uniqueid = msg['uniqueid'];
    // The recording's name may be learnt after the hangup (asked with Getvar): the file is complete by then.
    if (
      name === 'varset' &&
      uniqueid &&
      this.tracker.retired.has(uniqueid) &&
      /^_*MIXMONITOR_FILENAME$/.test(msg['variable'] ?? '') &&
      msg['value']
    ) {
      const done = this.tracker.finished.get(this.tracker.memberOf.get(uniqueid) ?? uniqueid);
      if (done && !done.recordings.includes(msg['value'])) {
        done.recordings.push(msg['value']);
        this.emitter.emitRecording(done, msg['value'], done.ended?.at ?? stamp.at, out);
      }
      return out;
    }
    const ch = uniqueid ? this.tracker.touchChannel(msg, '') : null;
    if (msg['destuniqueid'] && name !== 'dial') this.tracker.touchChannel(msg, 'dest');
    const call = this.tracker.callOf(ch);
    if (call) call.lastActivity = this.opts.now();
    if (call && this.did.variable && !call.didFromVar) {
      const v = this.did.fromEvent(msg);
      if (v) call.didFromVar = v;
    }
    // With configured inbound contexts the call is known at once; its DID too unless it comes from a variable.
    // Exten "s" (no number in the Request-URI) waits: an Originate's first channel looks the same until its DialBegin.
    if (
      call &&
      !call.confirmed &&
      this.tracker.hasContexts &&
      call.exten !== null &&
      call.exten !== 's' &&
      (!this.did.variable || call.didFromVar || (this.did.auto && isNumber(call.exten)))
    ) {
      this.emitter.confirm(call, out);
    }

    switch (name) {
      case 'dialbegin':
        this.dial.onDialBegin(msg['uniqueid'] ?? null, msg['destuniqueid'], msg['destchannel'] ?? '', out);
        break;
      case 'dial': // Asterisk <= 11
        if (msg['subevent']?.toLowerCase() === 'begin') {
          this.dial.onDialBegin(msg['uniqueid'] ?? null, msg['destuniqueid'], msg['destination'] ?? '', out);
        } else if (msg['subevent']?.toLowerCase() === 'end') {
          this.dial.onLegacyDialEnd(msg, stamp, out);
        }
        break;
      case 'dialend':
        this.dial.onDialEnd(msg['uniqueid'] ?? null, msg['destuniqueid'], msg['dialstatus'] ?? '', stamp, out);
        break;
      case 'newstate':
        if (ch) this.dial.onState(ch, Number(msg['channelstate']), stamp, out);
        break;
      case 'bridgeenter':
        this.bridges.enter(msg['bridgeuniqueid'], ch, stamp, out);
        break;
      case 'bridgeleave':
        this.bridges.leave(msg['bridgeuniqueid'], ch);
        break;
      case 'bridgedestroy':
        this.bridges.destroy(msg['bridgeuniqueid']);
        break;
      case 'bridge': // Asterisk <= 11: Bridgestate Link
        if (msg['bridgestate']?.toLowerCase() === 'link' && msg['uniqueid1'] && msg['uniqueid2']) {
          this.bridges.link(msg['uniqueid1'], msg['uniqueid2'], stamp, out);
        }
        break;
      case 'masquerade':
        this.bridges.masquerade(msg['clone'] ?? '', msg['original'] ?? '');
        break;
      case 'rename':
        if (ch && msg['newname']) ch.name = msg['newname'];
        break;
      case 'newexten':
        this.dial.onNewexten(call, ch, msg['application'] ?? '', out);
        break;
      case 'varset':
        if (call && ch) this.dial.onVarSet(call, ch, msg['variable'] ?? '', msg['value'] ?? '', stamp, out);
        break;
      case 'hangup':
        if (ch) this.dial.onHangup(ch, msg['cause'], msg['cause-txt'], stamp, out);
        break;
    }
    return out;
  }

  /**
   * After a reconnect: `CoreShowChannel` items describe every live channel. Calls whose inbound channel is gone ended
   * while we were away: they are closed now, marked `closedBy: 'timeout'`. Unknown live channels are adopted as if
   * their Newchannel had just arrived (their Duration gives the start time).
   */
  resync(items: readonly AmiMessage[], requestedAt?: Date): CallEvent[] {
    const out: CallEvent[] = [];
    const live = new Set(items.map((i) => i['uniqueid']).filter((u): u is string => !!u));
    const now = this.opts.now();
    for (const call of [...this.tracker.calls.values()]) {
      // A call that showed activity after the list was requested may simply be newer than the snapshot.
      if (requestedAt && call.lastActivity.getTime() >= requestedAt.getTime()) continue;
      if (!live.has(call.inbound)) this.emitter.close(call, { at: now, exact: false }, 'timeout', 'missed-hangup', out);
    }
    this.adopt(items, now, out);
    return out;
  }

  /** Closes calls with no event for `idleMs` (a hangup we never saw), marked `closedBy: 'timeout'`. */
  sweep(idleMs: number): CallEvent[] {
    const out: CallEvent[] = [];
    const now = this.opts.now();
    for (const call of [...this.tracker.calls.values()]) {
      if (now.getTime() - call.lastActivity.getTime() >= idleMs) this.emitter.close(call, { at: now, exact: false }, 'timeout', 'idle', out);
    }
    return out;
  }

  /**
   * Live channels (CoreShowChannel items) that could be inbound calls we do not know yet and carry no DID variable:
   * the adapter asks their DNID (`Getvar CALLERID(dnid)`) and passes it back as the item's `dnid`.
   */
  adoptionCandidates(items: readonly AmiMessage[]): string[] {
    const { channels, retired } = this.tracker;
    return items
      .filter((i) => {
        const id = i['uniqueid'];
        return id && (i['linkedid'] ?? id) === id && !(i['channel'] ?? '').startsWith('Local/') && !channels.has(id) && !retired.has(id);
      })
      .filter((i) => this.did.fromSnapshot(i) === null)
      .map((i) => i['uniqueid']!);
  }

  /** Calls in progress (Uniqueid of the inbound channel). */
  openCallIds(): string[] {
    return [...this.tracker.calls.values()].filter((c) => c.confirmed).map((c) => c.id);
  }

  /** Every call seen so far (the last few thousand finished ones), in the order they started. */
  summaries(): CallSummary[] {
    const open = [...this.tracker.calls.values()].filter((c) => c.confirmed);
    return [...this.tracker.finished.values(), ...open].sort((a, b) => a.order - b.order).map((c) => summariseCall(c, this.did.of(c)));
  }

  /** Live channels we did not know become calls (and members of calls) as if their Newchannel had just arrived. */
  private adopt(items: readonly AmiMessage[], now: Date, out: CallEvent[]): void {
    const ordered = [...items].sort((a, b) => (a['uniqueid'] ?? '').localeCompare(b['uniqueid'] ?? '', 'en', { numeric: true }));
    for (const item of ordered) {
      const id = item['uniqueid'];
      if (!id || this.tracker.channels.has(id) || this.tracker.retired.has(id)) continue;
      const started = new Date(now.getTime() - durationMs(item['duration']));
      // The snapshot's Exten is where the dialplan is now, not the DID: prefer the DID variable, then the DNID.
      const didVar = this.did.fromSnapshot(item);
      const exten = didVar ?? nonEmptyNumber(item['dnid']) ?? item['exten'] ?? '';
      this.tracker.adopting = didVar !== null;
      const ch = this.tracker.touchChannel({ ...item, exten }, '', { at: started, exact: false });
      this.tracker.adopting = false;
      const call = this.tracker.callOf(ch);
      if (!ch || !call) continue;
      call.lastActivity = now;
      if (this.did.variable) call.didFromVar ??= didVar;
      if (/^voicemail$/i.test(item['application'] ?? '')) call.voicemail = true;
      this.emitter.confirm(call, out);
      if (Number(item['channelstate']) === 6 && call.inbound === ch.uniqueid) {
        if (item['bridgeid']) this.emitter.answerHuman(call, { at: now, exact: false }, out);
        else this.dial.onState(ch, 6, { at: now, exact: false }, out);
      }
    }
  }

  private isDuplicate(msg: AmiMessage, name: string): boolean {
    const seq = msg['sequencenumber'];
    if (!seq) return false;
    const key = `${name}:${seq}:${msg['uniqueid'] ?? ''}:${msg['destuniqueid'] ?? ''}`;
    if (this.seenSequence.has(key)) return true;
    this.seenSequence.add(key);
    if (this.seenSequence.size > MEMORY * 4) this.seenSequence.delete(this.seenSequence.values().next().value!);
    return false;
  }
}
