import { eventTimestamp } from './ami-message.js';
import type { AmiMessage } from './ami-message.js';
import { MEMORY, nonEmptyNumber } from './call-state.js';
import type { Call, Channel, Stamp } from './call-state.js';

const LOCAL_PAIR = /^(Local\/.+?)(;[12])(<[A-Z]+>)?$/;

export interface ChannelTrackerOptions {
  /** Dialplan contexts of inbound trunk channels; empty = infer. */
  readonly inboundContexts: readonly string[];
  /** The channel variable carrying the DID, read at channel creation (null: none). */
  readonly didVariable: string | null;
  readonly now: () => Date;
}

/**
 * Channel tracking and call membership: which channels exist, which call each belongs to, which channels start a
 * call of their own, and what is remembered after a call ends. A channel joins a call once and never moves, except
 * when a Dial or a masquerade says explicitly who it belongs to.
 */
export class ChannelTracker {
  readonly channels = new Map<string, Channel>();
  readonly calls = new Map<string, Call>();
  /** Linkedid (and aliases it took later) -> call id. */
  readonly linked = new Map<string, string>();
  /** Uniqueids of channels whose call has ended: late or replayed events for them change nothing. */
  readonly retired = new Set<string>();
  readonly finished = new Map<string, Call>();
  /** Channel Uniqueid -> call, kept after the call ends for late Cdr/CEL events. */
  readonly memberOf = new Map<string, string>();
  /** Set while adopting a live channel that carries the DID variable (its current context is not the inbound one). */
  adopting = false;
  private created = 0;
  private readonly contexts: ReadonlySet<string>;

  constructor(private readonly opts: ChannelTrackerOptions) {
    this.contexts = new Set(opts.inboundContexts);
  }

  /** Inbound contexts are configured (the call is known at its first event, not inferred). */
  get hasContexts(): boolean {
    return this.contexts.size > 0;
  }

  /** The call in progress the channel belongs to. */
  callOf(ch: Channel | undefined | null): Call | undefined {
    return ch?.callId ? this.calls.get(ch.callId) : undefined;
  }

  /** A call in progress or finished (for late Cdr/CEL events), by any of its channels. */
  findCall(uniqueid: string): Call | undefined {
    const id = this.memberOf.get(uniqueid) ?? uniqueid;
    return this.calls.get(id) ?? this.finished.get(id);
  }

  /** The channel an event speaks of (`prefix` '' or 'dest'), created and classified on first sight. */
  touchChannel(msg: AmiMessage, prefix: string, startAt?: Stamp): Channel | null {
    const uniqueid = msg[`${prefix}uniqueid`];
    if (!uniqueid || this.retired.has(uniqueid)) return null;
    const name = msg[`${prefix}channel`] ?? '';
    const linkedidRaw = msg[`${prefix}linkedid`];
    let ch = this.channels.get(uniqueid);
    if (!ch) {
      ch = {
        uniqueid,
        name,
        linkedid: linkedidRaw || uniqueid,
        callId: null,
        isLocal: name.startsWith('Local/'),
        state: Number(msg[`${prefix}channelstate`] ?? '0'),
        upAt: null,
      };
      this.channels.set(uniqueid, ch);
      this.classify(ch, msg, prefix, startAt);
      return ch;
    }
    if (name && name !== ch.name && !msg['newname']) ch.name = name;
    if (linkedidRaw && linkedidRaw !== ch.linkedid) {
      ch.linkedid = linkedidRaw;
      if (ch.callId && !this.linked.has(linkedidRaw)) this.linked.set(linkedidRaw, ch.callId);
      else if (!ch.callId && this.linked.has(linkedidRaw)) this.join(ch, this.linked.get(linkedidRaw)!);
    }
    return ch;
  }

  /** The destination of a DialBegin, known or not yet seen. */
  dialledChannel(destId: string, destName: string): Channel {
    let dest = this.channels.get(destId);
    if (!dest) {
      dest = { uniqueid: destId, name: destName, linkedid: destId, callId: null, isLocal: destName.startsWith('Local/'), state: 0, upAt: null };
      this.channels.set(destId, dest);
    }
    return dest;
  }

  /** A channel created by a Dial is never an inbound call of its own: an unconfirmed call it started is undone. */
  disownDialled(dest: Channel): void {
    if (dest.callId !== dest.uniqueid) return;
    const own = this.calls.get(dest.uniqueid);
    if (!own || own.confirmed) return;
    this.calls.delete(own.id);
    for (const [k, v] of this.linked) if (v === own.id) this.linked.delete(k);
    for (const m of own.members) {
      const c = this.channels.get(m);
      if (c) c.callId = null;
    }
  }

  /** Takes the channel out of its call (a Dial or masquerade says it belongs to another one). */
  leave(ch: Channel): void {
    if (!ch.callId) return;
    this.calls.get(ch.callId)?.members.delete(ch.uniqueid);
    ch.callId = null;
  }

  join(ch: Channel, callId: string): void {
    const call = this.calls.get(callId);
    if (!call || ch.callId) return;
    ch.callId = callId;
    this.memberOf.set(ch.uniqueid, callId);
    if (this.memberOf.size > MEMORY * 8) this.memberOf.delete(this.memberOf.keys().next().value!);
    call.members.add(ch.uniqueid);
    if (!this.linked.has(ch.linkedid)) this.linked.set(ch.linkedid, callId);
    if (ch.uniqueid === ch.linkedid && !this.linked.has(ch.uniqueid)) this.linked.set(ch.uniqueid, callId);
  }

  /** An ended call: kept among the finished ones for late events, its channels retired. */
  finish(call: Call): void {
    this.calls.delete(call.id);
    this.finished.set(call.id, call);
    if (this.finished.size > MEMORY) this.finished.delete(this.finished.keys().next().value!);
    this.forgetMembers(call);
  }

  /** A call that never showed a sign of life: forgotten without a trace. */
  drop(call: Call): void {
    this.calls.delete(call.id);
    this.forgetMembers(call);
  }

  forget(ch: Channel): void {
    this.channels.delete(ch.uniqueid);
    this.retired.add(ch.uniqueid);
    if (this.retired.size > MEMORY * 4) this.retired.delete(this.retired.values().next().value!);
    if (this.linked.get(ch.linkedid) && !this.calls.has(this.linked.get(ch.linkedid)!)) this.linked.delete(ch.linkedid);
  }

  private forgetMembers(call: Call): void {
    for (const m of call.members) {
      const c = this.channels.get(m);
      if (c) this.forget(c);
    }
  }

  private classify(ch: Channel, msg: AmiMessage, prefix: string, startAt?: Stamp): void {
    const viaLink = ch.linkedid !== ch.uniqueid ? this.linked.get(ch.linkedid) : undefined;
    if (viaLink && this.calls.has(viaLink)) {
      this.join(ch, viaLink);
      return;
    }
    const sibling = this.localSibling(ch.name);
    if (sibling?.callId && this.calls.has(sibling.callId)) {
      this.join(ch, sibling.callId);
      return;
    }
    if (prefix !== '') return;
    const context = msg['context'] ?? '';
    // An inbound trunk channel starts its own Linkedid and has a dialled number (Exten: the DID, or "s"); channels
    // created by a Dial inherit the caller's Linkedid (Asterisk 12+) or start with an empty Exten (Asterisk 11).
    const ownCall = ch.linkedid === ch.uniqueid;
    // Without an Exten it only becomes a call on a sign of life (like inferred ones), so a Dial can still claim it.
    const inbound = this.contexts.size > 0 ? ownCall && (this.contexts.has(context) || (this.adopting && !ch.isLocal)) : ownCall && !ch.isLocal;
    if (!inbound) return;
    const ts = eventTimestamp(msg);
    this.created += 1;
    const didVar = this.opts.didVariable;
    const call: Call = {
      id: ch.uniqueid,
      inbound: ch.uniqueid,
      order: this.created,
      started: startAt ?? (ts ? { at: ts, exact: true } : { at: this.opts.now(), exact: false }),
      exten: nonEmptyNumber(msg['exten']),
      callerIdNum: nonEmptyNumber(msg['calleridnum']),
      didFromVar: didVar ? (msg[`chanvariable.${didVar}`] ?? null) : null,
      confirmed: false,
      ringingSent: false,
      answeredSent: false,
      legs: new Map(),
      round: 0,
      humanAnswer: null,
      pbxAnswer: null,
      earlyUp: null,
      voicemail: false,
      ended: null,
      outcome: null,
      answeredBy: null,
      reason: null,
      closedBy: null,
      recordings: [],
      cdr: null,
      dialTimes: {},
      humanLeg: null,
      cel: { answers: new Map() },
      lastActivity: this.opts.now(),
      members: new Set(),
    };
    this.calls.set(call.id, call);
    this.join(ch, call.id);
  }

  private localSibling(name: string): Channel | undefined {
    const m = LOCAL_PAIR.exec(name);
    if (!m) return undefined;
    const other = `${m[1]}${m[2] === ';1' ? ';2' : ';1'}`;
    for (const c of this.channels.values()) if (c.name === other || c.name.startsWith(`${other}<`)) return c;
    return undefined;
  }
}
