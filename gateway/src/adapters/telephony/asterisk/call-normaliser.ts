import type { AnsweredBy, CallEvent, CallOutcome } from '../../../features/calls/call-events.js';
import { eventTimestamp } from './ami-message.js';
import type { AmiMessage } from './ami-message.js';
import { pbxNumberResolver } from './pbx-numbers.js';
import type { PbxNumberResolver } from './pbx-numbers.js';

/**
 * Turns the AMI event stream into per-call `call.ringing / call.answered / call.ended / recording.available`.
 * A pure state machine: `handle(message)` returns the events it produced; no I/O, no timers (the adapter drives
 * `sweep` and `resync`).
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
 * Outcome, decided when the inbound channel hangs up: completed if a non-Local dialled leg answered (by a person) or
 * the PBX answered (the inbound channel went Up outside a ringing Dial, or a Local leg answered: IVR, or voicemail
 * when VoiceMail ran); otherwise from the last round of dialled legs: CANCEL (or still ringing when the caller left)
 * -> canceled, all BUSY -> busy, any NOANSWER -> no-answer, any BUSY -> busy, CONGESTION/CHANUNAVAIL -> failed; with
 * no dial at all, from the Hangup cause (17 busy, 18/19 no-answer, 16/127 the caller gave up -> canceled, else failed).
 *
 * Times: `Timestamp:` headers (timestampevents = yes), else the receive clock for live events; summaries of captures
 * without timestamps fall back to CEL EventTime, then Cdr, and report null rather than guess.
 */

export type DidSource = { readonly kind: 'exten' } | { readonly kind: 'auto' } | { readonly kind: 'variable'; readonly name: string };

/**
 * `exten` | `FROM_DID` | `var:NAME` (AMI_DID_SOURCE), or `auto`: the inbound channel's Exten when it is a number,
 * else FROM_DID (carriers that put the trunk account in the Request-URI leave Exten as `s` or a name).
 */
export function parseDidSource(text: string): DidSource {
  if (text === 'exten') return { kind: 'exten' };
  if (text === 'auto') return { kind: 'auto' };
  if (text === 'FROM_DID') return { kind: 'variable', name: 'FROM_DID' };
  const m = /^var:([A-Za-z0-9_()]+)$/.exec(text);
  if (m) return { kind: 'variable', name: m[1]! };
  throw new Error(`AMI DID source must be exten, auto, FROM_DID or var:NAME, got "${text}"`);
}

export interface CallNormaliserOptions {
  /** Dialplan contexts of inbound trunk channels; empty = infer (see above). */
  readonly inboundContexts: readonly string[];
  readonly didSource: DidSource;
  /** Receive time, used when an event has no `Timestamp:` header. */
  readonly now: () => Date;
  /** DID and caller to E.164 (default: international formats only, anything else kept as sent). */
  readonly numbers?: PbxNumberResolver;
}

/** One call as the replay tool prints it. Durations are null when the capture does not let us know them. */
export interface CallSummary {
  readonly id: string;
  readonly did: string | null;
  readonly caller: string | null;
  /** null while the call is still in progress. */
  readonly outcome: CallOutcome | null;
  readonly answeredBy: AnsweredBy | null;
  readonly ringSeconds: number | null;
  readonly talkSeconds: number | null;
  readonly closedBy?: 'provider' | 'timeout';
  readonly recordings?: readonly string[];
}

interface Stamp {
  readonly at: Date;
  /** From the event's Timestamp header (true) or from our receive clock (false). */
  readonly exact: boolean;
}

interface Channel {
  readonly uniqueid: string;
  name: string;
  linkedid: string;
  callId: string | null;
  readonly isLocal: boolean;
  state: number;
  upAt: Stamp | null;
}

interface Leg {
  readonly uniqueid: string;
  readonly caller: string | null;
  readonly round: number;
  readonly isLocal: boolean;
  status: string | null;
  answeredAt: Stamp | null;
}

interface Call {
  readonly id: string;
  /** Uniqueid of the caller's channel now: the call id, until an Asterisk <= 11 masquerade moves the caller. */
  inbound: string;
  readonly order: number;
  readonly started: Stamp;
  readonly exten: string | null;
  readonly callerIdNum: string | null;
  didFromVar: string | null;
  confirmed: boolean;
  ringingSent: boolean;
  answeredSent: boolean;
  readonly legs: Map<string, Leg>;
  round: number;
  humanAnswer: Stamp | null;
  pbxAnswer: Stamp | null;
  /** The inbound channel went Up while a Dial was still ringing (music instead of ringback, early answer). */
  earlyUp: Stamp | null;
  voicemail: boolean;
  ended: Stamp | null;
  outcome: CallOutcome | null;
  answeredBy: AnsweredBy | null;
  reason: string | null;
  closedBy: 'provider' | 'timeout' | null;
  readonly recordings: string[];
  cdr: { duration: number; billable: number; answered: boolean } | null;
  humanLeg: string | null;
  /** CEL EventTime readings (ms): the inbound channel's start and hangup, ANSWER per channel. */
  readonly cel: { start?: number; end?: number; readonly answers: Map<string, number> };
  /** ANSWEREDTIME / DIALEDTIME of the inbound channel's last Dial (seconds). */
  readonly dialTimes: { answered?: number; dialed?: number };
  /** Receive time of the last event (our clock, comparable with resync and sweep times). */
  lastActivity: Date;
  readonly members: Set<string>;
}

const LOCAL_PAIR = /^(Local\/.+?)(;[12])(<[A-Z]+>)?$/;
const SNAPSHOTLESS = new Set(['cdr', 'cel', 'coreshowchannel', 'coreshowchannelscomplete', 'fullybooted']);
const MEMORY = 5_000;
/** Channel technologies that are the PBX itself, not a party to talk to. */
const PSEUDO_CHANNEL = /^(Local|Announcer|CBAnn|CBRec|Recorder|Snoop|UnicastRTP|AudioSocket|WebSocket|Surrogate)\//;
/** Dialplan applications that serve a caller on an answered channel (IVR, voicemail, queue...). */
const ANSWERING_APPS =
  /^(answer|playback|background|voicemail|voicemailmain|queue|read|record|confbridge|meetme|directory|saydigits|saynumber|waitexten|musiconhold|playtones|agi|stasis)$/i;

function causeToStatus(cause: string | undefined): string | null {
  switch (cause) {
    case '17':
    case '21':
      return 'BUSY';
    case '18':
    case '19':
    case '0':
      return 'NOANSWER';
    case '16':
    case '127':
      return null;
    case undefined:
    case '':
      return null;
    default:
      return 'CONGESTION';
  }
}

function nonEmptyNumber(v: string | undefined): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' || t === '<unknown>' ? null : t;
}

function secondsBetween(a: Stamp, b: Stamp): number {
  return Math.max(0, Math.round((b.at.getTime() - a.at.getTime()) / 1000));
}

export class CallNormaliser {
  private readonly channels = new Map<string, Channel>();
  private readonly calls = new Map<string, Call>();
  /** Linkedid (and aliases it took later) -> call id. */
  private readonly linked = new Map<string, string>();
  /** Uniqueids of channels whose call has ended: late or replayed events for them change nothing. */
  private readonly retired = new Set<string>();
  private readonly seenSequence = new Set<string>();
  private readonly finished = new Map<string, Call>();
  /** Channel Uniqueid -> call, kept after the call ends for late Cdr/CEL events. */
  private readonly memberOf = new Map<string, string>();
  private readonly contexts: ReadonlySet<string>;
  private readonly didVar: string | null;
  private readonly autoDid: boolean;
  private created = 0;
  private readonly listing: AmiMessage[] = [];
  /** BridgeUniqueid -> channels in it. */
  private readonly bridges = new Map<string, Set<string>>();
  /** Set while adopting a live channel that carries the DID variable (its current context is not the inbound one). */
  private adopting = false;
  private readonly resolveNumbers: PbxNumberResolver;

  constructor(private readonly opts: CallNormaliserOptions) {
    this.resolveNumbers = opts.numbers ?? pbxNumberResolver(null);
    this.contexts = new Set(opts.inboundContexts);
    this.didVar = opts.didSource.kind === 'variable' ? opts.didSource.name : opts.didSource.kind === 'auto' ? 'FROM_DID' : null;
    this.autoDid = opts.didSource.kind === 'auto';
  }

  /** Feeds one AMI message (responses are ignored); returns the call events it produced, in order. */
  handle(msg: AmiMessage): CallEvent[] {
    const name = msg['event']?.toLowerCase();
    if (!name || this.isDuplicate(msg, name)) return [];
    const ts = eventTimestamp(msg);
    const stamp: Stamp = ts ? { at: ts, exact: true } : { at: this.opts.now(), exact: false };
    const out: CallEvent[] = [];

    if (name === 'cdr') {
      this.onCdr(msg);
      return out;
    }
    if (name === 'cel') {
      this.onCel(msg);
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
    if (name === 'varset' && uniqueid && this.retired.has(uniqueid) && /^_*MIXMONITOR_FILENAME$/.test(msg['variable'] ?? '') && msg['value']) {
      const done = this.finished.get(this.memberOf.get(uniqueid) ?? uniqueid);
      if (done && !done.recordings.includes(msg['value'])) {
        done.recordings.push(msg['value']);
        this.emitRecording(done, msg['value'], done.ended?.at ?? stamp.at, out);
      }
      return out;
    }
    const ch = uniqueid ? this.touchChannel(msg, '') : null;
    if (msg['destuniqueid'] && name !== 'dial') this.touchChannel(msg, 'dest');
    const call = ch?.callId ? this.calls.get(ch.callId) : undefined;
    if (call) call.lastActivity = this.opts.now();
    if (call && this.didVar && !call.didFromVar) {
      const v = msg[`chanvariable.${this.didVar}`] ?? msg[`chanvariable.__${this.didVar}`] ?? msg[`chanvariable._${this.didVar}`];
      if (v) call.didFromVar = v;
    }
    // With configured inbound contexts the call is known at once; its DID too unless it comes from a variable.
    // Exten "s" (no number in the Request-URI) waits: an Originate's first channel looks the same until its DialBegin.
    if (
      call &&
      !call.confirmed &&
      this.contexts.size > 0 &&
      call.exten !== null &&
      call.exten !== 's' &&
      (!this.didVar || call.didFromVar || (this.autoDid && isNumber(call.exten)))
    ) {
      this.confirm(call, out);
    }

    switch (name) {
      case 'dialbegin':
        this.onDialBegin(msg['uniqueid'] ?? null, msg['destuniqueid'], msg['destchannel'] ?? '', stamp, out);
        break;
      case 'dial': // Asterisk <= 11
        if (msg['subevent']?.toLowerCase() === 'begin') {
          this.onDialBegin(msg['uniqueid'] ?? null, msg['destuniqueid'], msg['destination'] ?? '', stamp, out);
        } else if (msg['subevent']?.toLowerCase() === 'end') {
          this.onLegacyDialEnd(msg, stamp, out);
        }
        break;
      case 'dialend':
        this.onDialEnd(msg['uniqueid'] ?? null, msg['destuniqueid'], msg['dialstatus'] ?? '', stamp, out);
        break;
      case 'newstate':
        if (ch) this.onState(ch, Number(msg['channelstate']), stamp, out);
        break;
      case 'bridgeenter': {
        const id = msg['bridgeuniqueid'];
        if (!ch || !id) break;
        const members = this.bridges.get(id) ?? new Set<string>();
        members.add(ch.uniqueid);
        this.bridges.set(id, members);
        if (this.bridges.size > MEMORY) this.bridges.delete(this.bridges.keys().next().value!);
        if (members.size >= 2) this.onBridged([...members], stamp, out);
        break;
      }
      case 'bridgeleave': {
        const members = this.bridges.get(msg['bridgeuniqueid'] ?? '');
        if (members && ch) members.delete(ch.uniqueid);
        if (members && !members.size) this.bridges.delete(msg['bridgeuniqueid']!);
        break;
      }
      case 'bridgedestroy':
        this.bridges.delete(msg['bridgeuniqueid'] ?? '');
        break;
      case 'bridge': // Asterisk <= 11: Bridgestate Link
        if (msg['bridgestate']?.toLowerCase() === 'link' && msg['uniqueid1'] && msg['uniqueid2']) {
          this.onBridged([msg['uniqueid1'], msg['uniqueid2']], stamp, out);
        }
        break;
      case 'masquerade': // Asterisk <= 11: Original takes over Clone's identity, Clone becomes a <ZOMBIE> and hangs up
        this.onMasquerade(msg['clone'] ?? '', msg['original'] ?? '');
        break;
      case 'rename':
        if (ch && msg['newname']) ch.name = msg['newname'];
        break;
      case 'newexten':
        if (call && /^voicemail$/i.test(msg['application'] ?? '')) call.voicemail = true;
        // Up during a Dial that then failed: the PBX only counts as answering if it goes on to serve the caller.
        if (
          call &&
          ch?.uniqueid === call.inbound &&
          call.earlyUp &&
          !call.pbxAnswer &&
          !call.humanAnswer &&
          ANSWERING_APPS.test(msg['application'] ?? '')
        ) {
          if ([...call.legs.values()].every((l) => l.status !== null)) this.answerPbx(call, call.earlyUp, out);
        }
        break;
      case 'varset':
        if (call && ch) this.onVarSet(call, ch, msg['variable'] ?? '', msg['value'] ?? '', stamp, out);
        break;
      case 'hangup':
        if (ch) this.onHangup(ch, msg['cause'], msg['cause-txt'], stamp, out);
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
    for (const call of [...this.calls.values()]) {
      // A call that showed activity after the list was requested may simply be newer than the snapshot.
      if (requestedAt && call.lastActivity.getTime() >= requestedAt.getTime()) continue;
      if (!live.has(call.inbound)) this.close(call, { at: now, exact: false }, 'timeout', 'missed-hangup', out);
    }
    this.adopt(items, now, out);
    return out;
  }

  /** Live channels we did not know become calls (and members of calls) as if their Newchannel had just arrived. */
  private adopt(items: readonly AmiMessage[], now: Date, out: CallEvent[]): void {
    const ordered = [...items].sort((a, b) => (a['uniqueid'] ?? '').localeCompare(b['uniqueid'] ?? '', 'en', { numeric: true }));
    for (const item of ordered) {
      const id = item['uniqueid'];
      if (!id || this.channels.has(id) || this.retired.has(id)) continue;
      const started = new Date(now.getTime() - durationMs(item['duration']));
      // The snapshot's Exten is where the dialplan is now, not the DID: prefer the DID variable, then the DNID.
      const didVar = this.didValue(item);
      const exten = didVar ?? nonEmptyNumber(item['dnid']) ?? item['exten'] ?? '';
      this.adopting = didVar !== null;
      const ch = this.touchChannel({ ...item, exten }, '', { at: started, exact: false });
      this.adopting = false;
      const call = ch?.callId ? this.calls.get(ch.callId) : undefined;
      if (!ch || !call) continue;
      call.lastActivity = now;
      if (this.didVar) call.didFromVar ??= didVar;
      if (/^voicemail$/i.test(item['application'] ?? '')) call.voicemail = true;
      this.confirm(call, out);
      if (Number(item['channelstate']) === 6 && call.inbound === ch.uniqueid) {
        if (item['bridgeid']) this.answerHuman(call, { at: now, exact: false }, out);
        else this.onState(ch, 6, { at: now, exact: false }, out);
      }
    }
  }

  /** Closes calls with no event for `idleMs` (a hangup we never saw), marked `closedBy: 'timeout'`. */
  sweep(idleMs: number): CallEvent[] {
    const out: CallEvent[] = [];
    const now = this.opts.now();
    for (const call of [...this.calls.values()]) {
      if (now.getTime() - call.lastActivity.getTime() >= idleMs) this.close(call, { at: now, exact: false }, 'timeout', 'idle', out);
    }
    return out;
  }

  /**
   * Live channels (CoreShowChannel items) that could be inbound calls we do not know yet and carry no DID variable:
   * the adapter asks their DNID (`Getvar CALLERID(dnid)`) and passes it back as the item's `dnid`.
   */
  adoptionCandidates(items: readonly AmiMessage[]): string[] {
    return items
      .filter((i) => {
        const id = i['uniqueid'];
        return id && (i['linkedid'] ?? id) === id && !(i['channel'] ?? '').startsWith('Local/') && !this.channels.has(id) && !this.retired.has(id);
      })
      .filter((i) => this.didValue(i) === null)
      .map((i) => i['uniqueid']!);
  }

  private didValue(msg: AmiMessage): string | null {
    const name = this.didVar ?? 'FROM_DID';
    return nonEmptyNumber(msg[`chanvariable.${name}`] ?? msg[`chanvariable.__${name}`]);
  }

  /** Calls in progress (Uniqueid of the inbound channel). */
  openCallIds(): string[] {
    return [...this.calls.values()].filter((c) => c.confirmed).map((c) => c.id);
  }

  /** Every call seen so far (the last few thousand finished ones), in the order they started. */
  summaries(): CallSummary[] {
    const open = [...this.calls.values()].filter((c) => c.confirmed);
    return [...this.finished.values(), ...open].sort((a, b) => a.order - b.order).map((c) => this.summary(c));
  }

  // --- channels and membership ---------------------------------------------------------------------------------

  private touchChannel(msg: AmiMessage, prefix: string, startAt?: Stamp): Channel | null {
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
    const call: Call = {
      id: ch.uniqueid,
      inbound: ch.uniqueid,
      order: this.created,
      started: startAt ?? (ts ? { at: ts, exact: true } : { at: this.opts.now(), exact: false }),
      exten: nonEmptyNumber(msg['exten']),
      callerIdNum: nonEmptyNumber(msg['calleridnum']),
      didFromVar: this.didVar ? (msg[`chanvariable.${this.didVar}`] ?? null) : null,
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

  private join(ch: Channel, callId: string): void {
    const call = this.calls.get(callId);
    if (!call || ch.callId) return;
    ch.callId = callId;
    this.memberOf.set(ch.uniqueid, callId);
    if (this.memberOf.size > MEMORY * 8) this.memberOf.delete(this.memberOf.keys().next().value!);
    call.members.add(ch.uniqueid);
    if (!this.linked.has(ch.linkedid)) this.linked.set(ch.linkedid, callId);
    if (ch.uniqueid === ch.linkedid && !this.linked.has(ch.uniqueid)) this.linked.set(ch.uniqueid, callId);
  }

  private localSibling(name: string): Channel | undefined {
    const m = LOCAL_PAIR.exec(name);
    if (!m) return undefined;
    const other = `${m[1]}${m[2] === ';1' ? ';2' : ';1'}`;
    for (const c of this.channels.values()) if (c.name === other || c.name.startsWith(`${other}<`)) return c;
    return undefined;
  }

  // --- dialplan progress -------------------------------------------------------------------------------------------

  private onDialBegin(callerId: string | null, destId: string | undefined, destName: string, stamp: Stamp, out: CallEvent[]): void {
    if (!destId) return;
    const caller = callerId ? this.channels.get(callerId) : undefined;
    let dest = this.channels.get(destId);
    if (!dest) {
      dest = { uniqueid: destId, name: destName, linkedid: destId, callId: null, isLocal: destName.startsWith('Local/'), state: 0, upAt: null };
      this.channels.set(destId, dest);
    }
    // A channel created by a Dial is never an inbound call of its own.
    if (dest.callId === dest.uniqueid) {
      const own = this.calls.get(dest.uniqueid);
      if (own && !own.confirmed) {
        this.calls.delete(own.id);
        for (const [k, v] of this.linked) if (v === own.id) this.linked.delete(k);
        for (const m of own.members) {
          const c = this.channels.get(m);
          if (c) c.callId = null;
        }
      }
    }
    const call = caller?.callId ? this.calls.get(caller.callId) : undefined;
    if (!call || call.ended) return;
    // Who dialled it says more than its Linkedid (which may be another call's after a bridge with it).
    if (dest.callId && dest.callId !== call.id && dest.callId !== dest.uniqueid) {
      this.calls.get(dest.callId)?.members.delete(dest.uniqueid);
      dest.callId = null;
    }
    this.join(dest, call.id);
    if (call.legs.has(destId)) return;
    const anyOpen = [...call.legs.values()].some((l) => l.status === null && l.caller === callerId);
    if (!anyOpen && callerId === call.inbound) call.round += 1;
    call.legs.set(destId, { uniqueid: destId, caller: callerId, round: call.round, isLocal: dest.isLocal, status: null, answeredAt: null });
    this.confirm(call, out);
    void stamp;
  }

  private onDialEnd(callerId: string | null, destId: string | undefined, status: string, stamp: Stamp, out: CallEvent[]): void {
    const dest = destId ? this.channels.get(destId) : undefined;
    const caller = callerId ? this.channels.get(callerId) : undefined;
    const callerCall = caller?.callId ? this.calls.get(caller.callId) : undefined;
    const call = callerCall?.legs.has(destId ?? '') ? callerCall : dest?.callId ? this.calls.get(dest.callId) : undefined;
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

  private onLegacyDialEnd(msg: AmiMessage, stamp: Stamp, out: CallEvent[]): void {
    const callerId = msg['uniqueid'];
    const caller = callerId ? this.channels.get(callerId) : undefined;
    const call = caller?.callId ? this.calls.get(caller.callId) : undefined;
    if (!call) return;
    const status = (msg['dialstatus'] ?? '').toUpperCase();
    for (const leg of call.legs.values()) {
      if (leg.caller !== callerId || leg.status !== null) continue;
      // One End for the whole Dial: only the leg that answered gets ANSWER, the others were cancelled by it.
      const legUp = this.channels.get(leg.uniqueid)?.upAt;
      this.settleLeg(call, leg, status === 'ANSWER' && !legUp ? 'CANCEL' : status, stamp, out);
    }
  }

  private settleLeg(call: Call, leg: Leg, status: string, stamp: Stamp, out: CallEvent[]): void {
    leg.status = status;
    if (status !== 'ANSWER') return;
    const up = this.channels.get(leg.uniqueid)?.upAt;
    leg.answeredAt = up ?? stamp;
    if (leg.isLocal) this.answerPbx(call, leg.answeredAt, out);
    else this.answerHuman(call, leg.answeredAt, out, leg.uniqueid);
  }

  private onState(ch: Channel, state: number, stamp: Stamp, out: CallEvent[]): void {
    ch.state = state;
    if (state !== 6 || ch.upAt) return;
    ch.upAt = stamp;
    const call = ch.callId ? this.calls.get(ch.callId) : undefined;
    if (!call || call.ended) return;
    if (ch.uniqueid === call.inbound) {
      this.confirm(call, out);
      this.answerPbx(call, stamp, out, true);
    }
  }

  private onMasquerade(cloneName: string, originalName: string): void {
    let clone: Channel | undefined;
    let original: Channel | undefined;
    for (const c of this.channels.values()) {
      if (c.name === cloneName) clone = c;
      else if (c.name === originalName) original = c;
    }
    const call = clone?.callId ? this.calls.get(clone.callId) : undefined;
    if (!clone || !original || !call || call.ended || call.inbound !== clone.uniqueid) return;
    if (original.callId && original.callId !== call.id) {
      this.calls.get(original.callId)?.members.delete(original.uniqueid);
      original.callId = null;
    }
    this.join(original, call.id);
    call.inbound = original.uniqueid;
    original.upAt ??= clone.upAt;
  }

  /** Channels now sharing a bridge (two or more). */
  private onBridged(ids: readonly string[], stamp: Stamp, out: CallEvent[]): void {
    const chans = ids.map((id) => this.channels.get(id)).filter((c): c is Channel => c !== undefined);
    // A dialled leg that is Up and bridged was answered, whether or not its DialEnd has come (Asterisk 11: not yet).
    for (const c of chans) {
      const call = c.callId ? this.calls.get(c.callId) : undefined;
      const leg = call?.legs.get(c.uniqueid);
      if (call && !call.ended && leg && leg.status === null && c.upAt) this.settleLeg(call, leg, 'ANSWER', stamp, out);
    }
    // The caller bridged with a real channel (not Local, not an announcer or recorder) talks to someone: pickup,
    // attended transfer, a queue member on a version without Dial events.
    for (const c of chans) {
      const call = c.callId ? this.calls.get(c.callId) : undefined;
      if (!call || call.ended || call.humanAnswer || call.inbound !== c.uniqueid || !c.upAt) continue;
      const other = chans.find((o) => o !== c && !PSEUDO_CHANNEL.test(o.name));
      if (other) this.answerHuman(call, stamp, out, other.uniqueid);
    }
  }

  private onVarSet(call: Call, ch: Channel, variable: string, value: string, stamp: Stamp, out: CallEvent[]): void {
    const bare = variable.replace(/^_+/, '');
    if (this.didVar && bare === this.didVar && value && !call.didFromVar) {
      call.didFromVar = value;
      this.confirm(call, out);
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

  private findCall(uniqueid: string): Call | undefined {
    const id = this.memberOf.get(uniqueid) ?? uniqueid;
    return this.calls.get(id) ?? this.finished.get(id);
  }

  /** CEL (cel.conf [manager]) carries EventTime: a clock for captures without Timestamp headers. */
  private onCel(msg: AmiMessage): void {
    const uid = msg['uniqueid'];
    const at = celTime(msg['eventtime']);
    const call = uid ? this.findCall(uid) : undefined;
    if (!uid || at === null || !call) return;
    const name = (msg['eventname'] ?? '').toUpperCase();
    if (name === 'CHAN_START' && uid === call.id) call.cel.start ??= at;
    else if (name === 'ANSWER' && !call.cel.answers.has(uid)) call.cel.answers.set(uid, at);
    else if (name === 'HANGUP' && uid === call.inbound) call.cel.end ??= at;
  }

  private onCdr(msg: AmiMessage): void {
    const id = msg['uniqueid'];
    const call = id ? this.findCall(id) : undefined;
    if (!call) return;
    const duration = Number(msg['duration']);
    const billable = Number(msg['billableseconds']);
    if (!Number.isFinite(duration) || !Number.isFinite(billable)) return;
    const answered = (msg['disposition'] ?? '').toUpperCase() === 'ANSWERED';
    if (/^voicemail$/i.test(msg['lastapplication'] ?? '')) {
      call.voicemail = true;
      if (call.answeredBy === 'ivr') call.answeredBy = 'voicemail';
    }
    if (!call.cdr || (answered && !call.cdr.answered) || (answered === call.cdr.answered && duration > call.cdr.duration)) {
      call.cdr = { duration, billable, answered };
    }
  }

  private onHangup(ch: Channel, cause: string | undefined, causeTxt: string | undefined, stamp: Stamp, out: CallEvent[]): void {
    const call = ch.callId ? this.calls.get(ch.callId) : undefined;
    if (call && !call.ended) {
      const leg = call.legs.get(ch.uniqueid);
      if (leg && leg.status === null) {
        const status = causeToStatus(cause);
        if (status) leg.status = status;
      }
      if (call.inbound === ch.uniqueid) {
        this.confirm(call, out);
        this.close(call, stamp, 'provider', cause ? `${cause}${causeTxt ? ` ${causeTxt}` : ''}` : null, out, cause);
      }
    }
    // Members stay known until their call ends (a DialEnd may follow its leg's Hangup on old versions).
    if (!call) this.forget(ch);
  }

  // --- emission ------------------------------------------------------------------------------------------------

  private confirm(call: Call, out: CallEvent[]): void {
    if (call.confirmed) return;
    call.confirmed = true;
    this.emitRinging(call, out);
  }

  private emitRinging(call: Call, out: CallEvent[]): void {
    if (call.ringingSent) return;
    call.ringingSent = true;
    const did = this.did(call);
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

  private answerHuman(call: Call, at: Stamp, out: CallEvent[], leg?: string): void {
    if (call.humanAnswer) return;
    call.humanAnswer = at;
    call.humanLeg = leg ?? null;
    this.emitAnswered(call, at, 'human', out);
  }

  /** `inboundUp`: the inbound channel itself went Up; otherwise a Local leg answered (the PBX took the call). */
  private answerPbx(call: Call, at: Stamp, out: CallEvent[], inboundUp = false): void {
    if (call.pbxAnswer || call.humanAnswer) return;
    // While a Dial is still ringing, the inbound channel going Up is not an answer yet: what follows decides.
    if (inboundUp && [...call.legs.values()].some((l) => l.status === null)) {
      call.earlyUp ??= at;
      return;
    }
    call.pbxAnswer = at;
    this.emitAnswered(call, at, call.voicemail ? 'voicemail' : 'ivr', out);
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

  private close(call: Call, stamp: Stamp, by: 'provider' | 'timeout', reason: string | null, out: CallEvent[], cause?: string): void {
    if (call.ended) return;
    if (!call.confirmed) {
      this.drop(call);
      return;
    }
    call.ended = stamp;
    call.closedBy = by;
    call.reason = reason;
    const { outcome, answeredBy } = this.decide(call, cause);
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
    this.calls.delete(call.id);
    this.finished.set(call.id, call);
    if (this.finished.size > MEMORY) this.finished.delete(this.finished.keys().next().value!);
    for (const m of call.members) {
      const c = this.channels.get(m);
      if (c) this.forget(c);
    }
  }

  private emitRecording(call: Call, path: string, at: Date, out: CallEvent[]): void {
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

  private drop(call: Call): void {
    this.calls.delete(call.id);
    for (const m of call.members) {
      const c = this.channels.get(m);
      if (c) this.forget(c);
    }
  }

  private forget(ch: Channel): void {
    this.channels.delete(ch.uniqueid);
    this.retired.add(ch.uniqueid);
    if (this.retired.size > MEMORY * 4) this.retired.delete(this.retired.values().next().value!);
    if (this.linked.get(ch.linkedid) && !this.calls.has(this.linked.get(ch.linkedid)!)) this.linked.delete(ch.linkedid);
  }

  private decide(call: Call, cause: string | undefined): { outcome: CallOutcome; answeredBy: AnsweredBy | null } {
    if (call.humanAnswer) return { outcome: 'completed', answeredBy: 'human' };
    if (!call.pbxAnswer && call.earlyUp && call.voicemail) call.pbxAnswer = call.earlyUp;
    if (call.pbxAnswer) return { outcome: 'completed', answeredBy: call.voicemail ? 'voicemail' : 'ivr' };
    const legs = [...call.legs.values()];
    const direct = legs.filter((l) => l.caller === call.id || l.caller === call.inbound);
    const pool = direct.length ? direct : legs;
    if (pool.length) {
      const last = Math.max(...pool.map((l) => l.round));
      const round = pool.filter((l) => l.round === last);
      const statuses = round.map((l) => l.status);
      if (statuses.includes('CANCEL') || statuses.includes(null)) return { outcome: 'canceled', answeredBy: null };
      if (statuses.every((s) => s === 'BUSY')) return { outcome: 'busy', answeredBy: null };
      if (statuses.includes('NOANSWER')) return { outcome: 'no-answer', answeredBy: null };
      if (statuses.includes('BUSY')) return { outcome: 'busy', answeredBy: null };
      return { outcome: 'failed', answeredBy: null };
    }
    switch (cause) {
      case '17':
        return { outcome: 'busy', answeredBy: null };
      case '18':
      case '19':
        return { outcome: 'no-answer', answeredBy: null };
      case '16':
      case '127':
      case undefined:
        return { outcome: 'canceled', answeredBy: null };
      default:
        return { outcome: 'failed', answeredBy: null };
    }
  }

  private did(call: Call): string | null {
    if (this.autoDid && isNumber(call.exten)) return call.exten;
    if (this.didVar && call.didFromVar) return call.didFromVar;
    return call.exten;
  }

  private summary(call: Call): CallSummary {
    const answeredAt = call.humanAnswer ?? call.pbxAnswer;
    let ring: number | null = null;
    let talk: number | null = null;
    if (call.ended) {
      const points = [call.started, call.ended, ...(answeredAt ? [answeredAt] : [])];
      if (points.every((p) => p.exact)) {
        ring = secondsBetween(call.started, answeredAt ?? call.ended);
        talk = answeredAt ? secondsBetween(answeredAt, call.ended) : 0;
      } else if (this.celDurations(call)) {
        [ring, talk] = this.celDurations(call)!;
      } else if (call.cdr) {
        talk = answeredAt ? call.cdr.billable : 0;
        ring = Math.max(0, call.cdr.duration - (answeredAt ? call.cdr.billable : 0));
      } else if (
        call.humanAnswer &&
        call.dialTimes.answered !== undefined &&
        call.dialTimes.dialed !== undefined &&
        [...call.legs.values()].every((l) => (l.caller === call.id || l.caller === call.inbound) && l.round === 1)
      ) {
        talk = call.dialTimes.answered;
        ring = Math.max(0, call.dialTimes.dialed - call.dialTimes.answered);
      } else if (!answeredAt) {
        talk = 0;
      }
    }
    return {
      id: call.id,
      did: this.did(call),
      caller: call.callerIdNum,
      outcome: call.outcome,
      answeredBy: call.ended ? call.answeredBy : call.humanAnswer ? 'human' : null,
      ringSeconds: ring,
      talkSeconds: talk,
      ...(call.closedBy === 'timeout' ? { closedBy: 'timeout' as const } : {}),
      ...(call.recordings.length ? { recordings: [...call.recordings] } : {}),
    };
  }

  private celDurations(call: Call): [number, number] | null {
    const { start, end, answers } = call.cel;
    if (start === undefined || end === undefined) return null;
    let answer: number | undefined;
    if (call.humanAnswer) answer = call.humanLeg ? answers.get(call.humanLeg) : undefined;
    else if (call.pbxAnswer) answer = answers.get(call.inbound) ?? answers.get(call.id);
    else return [Math.max(0, Math.round((end - start) / 1000)), 0];
    if (answer === undefined) return null;
    return [Math.max(0, Math.round((answer - start) / 1000)), Math.max(0, Math.round((end - answer) / 1000))];
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

/** CEL EventTime: "2014-10-28 16:36:40" (dateformat, zone unknown: only differences matter) or "<epoch>.<usec>". */
function celTime(text: string | undefined): number | null {
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isNaN(ms) ? null : ms;
}

function isNumber(v: string | null): boolean {
  return v !== null && /^\+?\d{3,}$/.test(v);
}

/** "HH:MM:SS" (CoreShowChannel Duration) in milliseconds. */
function durationMs(text: string | undefined): number {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(text ?? '');
  if (!m) return 0;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}
