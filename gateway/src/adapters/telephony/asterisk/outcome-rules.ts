import type { AnsweredBy, CallOutcome } from '../../../features/calls/call-events.js';
import type { Call } from './call-state.js';

/**
 * How a call ends, decided when its inbound channel hangs up: completed if a non-Local dialled leg answered (by a
 * person) or the PBX answered (the inbound channel went Up outside a ringing Dial, or a Local leg answered: IVR, or
 * voicemail when VoiceMail ran); otherwise from the last round of dialled legs: CANCEL (or still ringing when the
 * caller left) -> canceled, all BUSY -> busy, any NOANSWER -> no-answer, any BUSY -> busy, CONGESTION/CHANUNAVAIL ->
 * failed; with no dial at all, from the Hangup cause (17 busy, 18/19 no-answer, 16/127 the caller gave up ->
 * canceled, else failed).
 */
export function decideOutcome(call: Call, cause: string | undefined): { outcome: CallOutcome; answeredBy: AnsweredBy | null } {
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

/** The DialStatus a dialled leg's Hangup cause stands for, when its DialEnd never came (null: says nothing). */
export function causeToStatus(cause: string | undefined): string | null {
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

/** Dialplan applications that serve a caller on an answered channel (IVR, voicemail, queue...). */
export const ANSWERING_APPS =
  /^(answer|playback|background|voicemail|voicemailmain|queue|read|record|confbridge|meetme|directory|saydigits|saynumber|waitexten|musiconhold|playtones|agi|stasis)$/i;
