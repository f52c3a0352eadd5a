import type { AnsweredBy, CallOutcome } from '../../../features/calls/call-events.js';
import { secondsBetween } from './call-state.js';
import type { Call } from './call-state.js';

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

/**
 * Ring and talk seconds from the best clock the capture has: exact Timestamp headers, else CEL EventTime, else the
 * Cdr, else the Dial's ANSWEREDTIME/DIALEDTIME (one round of direct legs only); null rather than a guess.
 */
export function summariseCall(call: Call, did: string | null): CallSummary {
  const answeredAt = call.humanAnswer ?? call.pbxAnswer;
  let ring: number | null = null;
  let talk: number | null = null;
  if (call.ended) {
    const points = [call.started, call.ended, ...(answeredAt ? [answeredAt] : [])];
    if (points.every((p) => p.exact)) {
      ring = secondsBetween(call.started, answeredAt ?? call.ended);
      talk = answeredAt ? secondsBetween(answeredAt, call.ended) : 0;
    } else if (celDurations(call)) {
      [ring, talk] = celDurations(call)!;
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
    did,
    caller: call.callerIdNum,
    outcome: call.outcome,
    answeredBy: call.ended ? call.answeredBy : call.humanAnswer ? 'human' : null,
    ringSeconds: ring,
    talkSeconds: talk,
    ...(call.closedBy === 'timeout' ? { closedBy: 'timeout' as const } : {}),
    ...(call.recordings.length ? { recordings: [...call.recordings] } : {}),
  };
}

function celDurations(call: Call): [number, number] | null {
  const { start, end, answers } = call.cel;
  if (start === undefined || end === undefined) return null;
  let answer: number | undefined;
  if (call.humanAnswer) answer = call.humanLeg ? answers.get(call.humanLeg) : undefined;
  else if (call.pbxAnswer) answer = answers.get(call.inbound) ?? answers.get(call.id);
  else return [Math.max(0, Math.round((end - start) / 1000)), 0];
  if (answer === undefined) return null;
  return [Math.max(0, Math.round((answer - start) / 1000)), Math.max(0, Math.round((end - answer) / 1000))];
}
