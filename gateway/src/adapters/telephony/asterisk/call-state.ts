import type { AnsweredBy, CallOutcome } from '../../../features/calls/call-events.js';

/** The normaliser's in-memory model of channels, dialled legs and calls, and the small readings they share. */

export interface Stamp {
  readonly at: Date;
  /** From the event's Timestamp header (true) or from our receive clock (false). */
  readonly exact: boolean;
}

export interface Channel {
  readonly uniqueid: string;
  name: string;
  linkedid: string;
  callId: string | null;
  readonly isLocal: boolean;
  state: number;
  upAt: Stamp | null;
}

export interface Leg {
  readonly uniqueid: string;
  readonly caller: string | null;
  readonly round: number;
  readonly isLocal: boolean;
  status: string | null;
  answeredAt: Stamp | null;
}

export interface Call {
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

/** How many finished calls, bridges and listing items are remembered (retired ids and sequence keys: four times). */
export const MEMORY = 5_000;

export function nonEmptyNumber(v: string | undefined): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' || t === '<unknown>' ? null : t;
}

export function isNumber(v: string | null): boolean {
  return v !== null && /^\+?\d{3,}$/.test(v);
}

export function secondsBetween(a: Stamp, b: Stamp): number {
  return Math.max(0, Math.round((b.at.getTime() - a.at.getTime()) / 1000));
}

/** "HH:MM:SS" (CoreShowChannel Duration) in milliseconds. */
export function durationMs(text: string | undefined): number {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(text ?? '');
  if (!m) return 0;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}
