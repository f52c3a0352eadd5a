import type { CallEvent } from '../../../features/calls/call-events.js';
import type { CallEmitter } from './call-emitter.js';
import { MEMORY } from './call-state.js';
import type { Channel, Stamp } from './call-state.js';
import type { ChannelTracker } from './channel-tracker.js';
import type { DialProgress } from './dial-progress.js';

/** Channel technologies that are the PBX itself, not a party to talk to. */
const PSEUDO_CHANNEL = /^(Local|Announcer|CBAnn|CBRec|Recorder|Snoop|UnicastRTP|AudioSocket|WebSocket|Surrogate)\//;

/**
 * Bridges: who shares a bridge with whom (BridgeEnter/Leave/Destroy, the Asterisk <= 11 `Bridge` link) and the
 * Asterisk <= 11 masquerade that moves the caller to another channel. A caller bridged with a real party was
 * answered by a person, whatever the Dial events said.
 */
export class Bridges {
  /** BridgeUniqueid -> channels in it. */
  private readonly members = new Map<string, Set<string>>();

  constructor(
    private readonly tracker: ChannelTracker,
    private readonly emitter: CallEmitter,
    private readonly dial: DialProgress,
  ) {}

  enter(bridgeId: string | undefined, ch: Channel | null, stamp: Stamp, out: CallEvent[]): void {
    if (!ch || !bridgeId) return;
    const members = this.members.get(bridgeId) ?? new Set<string>();
    members.add(ch.uniqueid);
    this.members.set(bridgeId, members);
    if (this.members.size > MEMORY) this.members.delete(this.members.keys().next().value!);
    if (members.size >= 2) this.onBridged([...members], stamp, out);
  }

  leave(bridgeId: string | undefined, ch: Channel | null): void {
    const members = this.members.get(bridgeId ?? '');
    if (members && ch) members.delete(ch.uniqueid);
    if (members && !members.size) this.members.delete(bridgeId!);
  }

  destroy(bridgeId: string | undefined): void {
    this.members.delete(bridgeId ?? '');
  }

  /** Asterisk <= 11: `Bridge` with `Bridgestate: Link` names both channels. */
  link(uniqueid1: string, uniqueid2: string, stamp: Stamp, out: CallEvent[]): void {
    this.onBridged([uniqueid1, uniqueid2], stamp, out);
  }

  /** Asterisk <= 11: Original takes over Clone's identity, Clone becomes a <ZOMBIE> and hangs up. */
  masquerade(cloneName: string, originalName: string): void {
    let clone: Channel | undefined;
    let original: Channel | undefined;
    for (const c of this.tracker.channels.values()) {
      if (c.name === cloneName) clone = c;
      else if (c.name === originalName) original = c;
    }
    const call = this.tracker.callOf(clone);
    if (!clone || !original || !call || call.ended || call.inbound !== clone.uniqueid) return;
    if (original.callId && original.callId !== call.id) this.tracker.leave(original);
    this.tracker.join(original, call.id);
    call.inbound = original.uniqueid;
    original.upAt ??= clone.upAt;
  }

  /** Channels now sharing a bridge (two or more). */
  private onBridged(ids: readonly string[], stamp: Stamp, out: CallEvent[]): void {
    const chans = ids.map((id) => this.tracker.channels.get(id)).filter((c): c is Channel => c !== undefined);
    // A dialled leg that is Up and bridged was answered, whether or not its DialEnd has come (Asterisk 11: not yet).
    for (const c of chans) {
      const call = this.tracker.callOf(c);
      const leg = call?.legs.get(c.uniqueid);
      if (call && !call.ended && leg && leg.status === null && c.upAt) this.dial.settleLeg(call, leg, 'ANSWER', stamp, out);
    }
    // The caller bridged with a real channel (not Local, not an announcer or recorder) talks to someone: pickup,
    // attended transfer, a queue member on a version without Dial events.
    for (const c of chans) {
      const call = this.tracker.callOf(c);
      if (!call || call.ended || call.humanAnswer || call.inbound !== c.uniqueid || !c.upAt) continue;
      const other = chans.find((o) => o !== c && !PSEUDO_CHANNEL.test(o.name));
      if (other) this.emitter.answerHuman(call, stamp, out, other.uniqueid);
    }
  }
}
