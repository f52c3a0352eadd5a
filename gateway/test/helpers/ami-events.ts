import { messageFromLines } from '../../src/adapters/telephony/asterisk/ami-message.js';
import type { AmiMessage } from '../../src/adapters/telephony/asterisk/ami-message.js';

/**
 * Builds Asterisk 13+ events in the grammar of the reference (telephony.md A3) for scenarios we have no licensed
 * capture of (trunk DIDs, busy, ring groups, IVR, voicemail, Local channels, transfers), with `Timestamp:` headers.
 */

export interface Chan {
  readonly name: string;
  readonly id: string;
  linked: string;
  context: string;
  exten: string;
  state: number;
  readonly num: string;
  readonly vars?: Readonly<Record<string, string>>;
}

const STATES = ['Down', 'Rsrvd', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up', 'Busy', 'Dialing Offhook', 'Pre-ring', 'Unknown'];

export function chan(name: string, id: string, opts: Partial<Omit<Chan, 'name' | 'id'>> = {}): Chan {
  return {
    name,
    id,
    linked: opts.linked ?? id,
    context: opts.context ?? 'from-internal',
    exten: opts.exten ?? 's',
    state: opts.state ?? 0,
    num: opts.num ?? '<unknown>',
    ...(opts.vars ? { vars: opts.vars } : {}),
  };
}

export function snapshot(c: Chan, prefix = ''): string[] {
  const lines = [
    `${prefix}Channel: ${c.name}`,
    `${prefix}ChannelState: ${c.state}`,
    `${prefix}ChannelStateDesc: ${STATES[c.state]}`,
    `${prefix}CallerIDNum: ${c.num}`,
    `${prefix}CallerIDName: <unknown>`,
    `${prefix}ConnectedLineNum: <unknown>`,
    `${prefix}ConnectedLineName: <unknown>`,
    `${prefix}Language: en`,
    `${prefix}AccountCode: `,
    `${prefix}Context: ${c.context}`,
    `${prefix}Exten: ${c.exten}`,
    `${prefix}Priority: 1`,
    `${prefix}Uniqueid: ${c.id}`,
    `${prefix}Linkedid: ${c.linked}`,
  ];
  for (const [k, v] of Object.entries(c.vars ?? {})) lines.push(`${prefix}ChanVariable: ${k}=${v}`);
  return lines;
}

/** A scripted call flow: each method appends one event block (raw lines) at time `t` (seconds after `base`). */
export class Flow {
  readonly blocks: string[][] = [];
  constructor(
    private readonly base = 1770900000,
    private readonly stamps = true,
  ) {}

  private add(t: number, event: string, lines: string[]): this {
    this.blocks.push([`Event: ${event}`, 'Privilege: call,all', ...(this.stamps ? [`Timestamp: ${(this.base + t).toFixed(6)}`] : []), ...lines]);
    return this;
  }

  newchannel(t: number, c: Chan): this {
    return this.add(t, 'Newchannel', snapshot(c));
  }
  newstate(t: number, c: Chan, state: number): this {
    c.state = state;
    return this.add(t, 'Newstate', snapshot(c));
  }
  newexten(t: number, c: Chan, app: string, data = ''): this {
    return this.add(t, 'Newexten', [...snapshot(c), `Extension: ${c.exten}`, `Application: ${app}`, `AppData: ${data}`]);
  }
  varset(t: number, c: Chan, variable: string, value: string): this {
    return this.add(t, 'VarSet', [...snapshot(c), `Variable: ${variable}`, `Value: ${value}`]);
  }
  dialBegin(t: number, from: Chan | null, to: Chan): this {
    return this.add(t, 'DialBegin', [...(from ? snapshot(from) : []), ...snapshot(to, 'Dest'), `DialString: ${to.name.split('-')[0]}`]);
  }
  dialEnd(t: number, from: Chan | null, to: Chan, status: string): this {
    return this.add(t, 'DialEnd', [...(from ? snapshot(from) : []), ...snapshot(to, 'Dest'), `DialStatus: ${status}`]);
  }
  bridgeEnter(t: number, c: Chan, bridge: string, count: number): this {
    return this.add(t, 'BridgeEnter', [`BridgeUniqueid: ${bridge}`, 'BridgeType: basic', `BridgeNumChannels: ${count}`, ...snapshot(c)]);
  }
  bridgeLeave(t: number, c: Chan, bridge: string, count: number): this {
    return this.add(t, 'BridgeLeave', [`BridgeUniqueid: ${bridge}`, 'BridgeType: basic', `BridgeNumChannels: ${count}`, ...snapshot(c)]);
  }
  raw(t: number, event: string, lines: string[]): this {
    return this.add(t, event, lines);
  }
  hangup(t: number, c: Chan, cause: number, text: string): this {
    return this.add(t, 'Hangup', [...snapshot(c), `Cause: ${cause}`, `Cause-txt: ${text}`]);
  }

  messages(): AmiMessage[] {
    return this.blocks.map((b) => messageFromLines(b));
  }

  text(): string {
    return `${this.blocks.map((b) => b.join('\n')).join('\n\n')}\n\n`;
  }
}

export const TRUNK = 'from-pstn';
export const DID = '+15551230000';

export function trunkChannel(seq: string, id: string, caller = '+15557654321', did = DID): Chan {
  return chan(`PJSIP/trunk-${seq}`, id, { context: TRUNK, exten: did, state: 4, num: caller });
}
