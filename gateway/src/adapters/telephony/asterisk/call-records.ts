import type { AmiMessage } from './ami-message.js';
import type { Call } from './call-state.js';
import type { ChannelTracker } from './channel-tracker.js';

/**
 * Cdr and CEL events: no call events of their own, but clocks and durations for captures without `Timestamp:`
 * headers (see call-summary.ts). They may arrive after the call ended, so calls are found among finished ones too.
 */
export class CallRecords {
  constructor(private readonly tracker: ChannelTracker) {}

  /** CEL (cel.conf [manager]) carries EventTime: a clock for captures without Timestamp headers. */
  onCel(msg: AmiMessage): void {
    const uid = msg['uniqueid'];
    const at = celTime(msg['eventtime']);
    const call = uid ? this.tracker.findCall(uid) : undefined;
    if (!uid || at === null || !call) return;
    const name = (msg['eventname'] ?? '').toUpperCase();
    if (name === 'CHAN_START' && uid === call.id) call.cel.start ??= at;
    else if (name === 'ANSWER' && !call.cel.answers.has(uid)) call.cel.answers.set(uid, at);
    else if (name === 'HANGUP' && uid === call.inbound) call.cel.end ??= at;
  }

  onCdr(msg: AmiMessage): void {
    const id = msg['uniqueid'];
    const call: Call | undefined = id ? this.tracker.findCall(id) : undefined;
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
