import type { AmiMessage } from './ami-message.js';
import type { Call } from './call-state.js';
import { isNumber, nonEmptyNumber } from './call-state.js';

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

/** Where a call's dialled number is read from, per the configured DID source. */
export class DidRule {
  /** The channel variable carrying the DID (null: the Exten only). */
  readonly variable: string | null;
  readonly auto: boolean;

  constructor(source: DidSource) {
    this.variable = source.kind === 'variable' ? source.name : source.kind === 'auto' ? 'FROM_DID' : null;
    this.auto = source.kind === 'auto';
  }

  /** The call's DID as reported: a numeric Exten in auto mode, else the variable when set, else the Exten. */
  of(call: Call): string | null {
    if (this.auto && isNumber(call.exten)) return call.exten;
    if (this.variable && call.didFromVar) return call.didFromVar;
    return call.exten;
  }

  /** The DID variable on an event's channel variables (inherited `_`/`__` forms too). */
  fromEvent(msg: AmiMessage): string | undefined {
    if (!this.variable) return undefined;
    const name = this.variable;
    return msg[`chanvariable.${name}`] ?? msg[`chanvariable.__${name}`] ?? msg[`chanvariable._${name}`];
  }

  /** The DID variable on a CoreShowChannel item (FROM_DID when no variable is configured). */
  fromSnapshot(msg: AmiMessage): string | null {
    const name = this.variable ?? 'FROM_DID';
    return nonEmptyNumber(msg[`chanvariable.${name}`] ?? msg[`chanvariable.__${name}`]);
  }
}
