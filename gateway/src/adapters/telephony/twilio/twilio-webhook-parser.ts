import type { FromSchema } from 'json-schema-to-ts';
import { validateOrThrow } from '../../../http/validation.js';
import type { AnsweredBy, CallEvent, CallOutcome } from '../../../features/calls/call-events.js';
import { isE164 } from '../../../shared/phone.js';
import type { TwilioParams } from './twilio-signature.js';
import {
  twilioDialStatusParamsSchema,
  twilioRecordingParamsSchema,
  twilioStatusParamsSchema,
  twilioVoiceParamsSchema,
} from './twilio-webhook-schemas.js';

/**
 * Twilio webhook parameters → the normalized call events. Pure: the caller has checked the signature already.
 * Every event key is stable across Twilio's retries, so a replay is recognised downstream.
 */

export type TwilioVoiceParams = FromSchema<typeof twilioVoiceParamsSchema>;

export interface InboundCall {
  readonly accountSid: string;
  readonly callSid: string;
  /** The tracking number dialled (`To`, = `Called`), E.164 when it is a phone number. */
  readonly to: string;
  /** The caller, E.164, or 'anonymous' when withheld or not a phone number. */
  readonly from: string;
}

const first = (v: string | readonly string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : (v as string | undefined));

/** Repeated keys are not expected on these webhooks; the first value counts (the signature covered all of them). */
function flatten(params: TwilioParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const f = first(v);
    if (f !== undefined) out[k] = f;
  }
  return out;
}

const caller = (from: string | undefined): string => (from && isE164(from) ? from : 'anonymous');

function eventTime(p: Record<string, string>, now: Date): Date {
  // Call-progress events carry an RFC 2822 Timestamp; others are stamped on receipt.
  const t = p.Timestamp ? Date.parse(p.Timestamp) : Number.NaN;
  return Number.isFinite(t) ? new Date(t) : now;
}

function answeredBy(v: string | undefined): AnsweredBy {
  if (!v) return 'unknown';
  if (v === 'human') return 'human';
  if (v.startsWith('machine') || v === 'fax') return 'machine';
  return 'unknown';
}

const OUTCOMES: Record<string, CallOutcome> = {
  completed: 'completed',
  answered: 'completed',
  busy: 'busy',
  'no-answer': 'no-answer',
  canceled: 'canceled',
  failed: 'failed',
};

const int = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

export function parseVoice(params: TwilioParams, now: Date): { call: InboundCall; events: CallEvent[] } {
  const p = validateOrThrow(twilioVoiceParamsSchema, flatten(params), 'body') as Record<string, string>;
  const call: InboundCall = { accountSid: p.AccountSid!, callSid: p.CallSid!, to: p.To!, from: caller(p.From) };
  const events: CallEvent[] = [
    {
      type: 'call.ringing',
      provider: 'twilio',
      providerCallId: call.callSid,
      eventKey: `${call.callSid}:ringing`,
      occurredAt: now,
      trackingNumber: call.to,
      caller: call.from,
      raw: p,
    },
  ];
  return { call, events };
}

/** The number's StatusCallback: for an inbound (parent) call Twilio sends only the final status. */
export function parseStatus(params: TwilioParams, now: Date): { accountSid: string; events: CallEvent[] } {
  const p = validateOrThrow(twilioStatusParamsSchema, flatten(params), 'body') as Record<string, string>;
  const callSid = p.CallSid!;
  const occurredAt = eventTime(p, now);
  const base = { provider: 'twilio' as const, providerCallId: callSid, occurredAt, raw: p };
  const status = p.CallStatus!;
  const events: CallEvent[] = [];
  if (status === 'in-progress')
    events.push({ ...base, type: 'call.answered', eventKey: `${callSid}:status:in-progress`, answeredBy: answeredBy(p.AnsweredBy) });
  const outcome = OUTCOMES[status];
  if (outcome) {
    // The parent leg's duration is not talk time (pitfall 6): the Dial's own report says who talked and how long.
    events.push({
      ...base,
      type: 'call.ended',
      eventKey: `${callSid}:status:${status}`,
      outcome,
      reason: `twilio:${status}${p.SipResponseCode ? `:${p.SipResponseCode}` : ''}`,
    });
  }
  return { accountSid: p.AccountSid!, events };
}

/**
 * `<Dial action>`: the dialled party's outcome and talk time (authoritative). `<Number statusCallback>`: the agent
 * leg's progress (child CallSid, ParentCallSid = our call); its in-progress is the real answer.
 */
export function parseDialStatus(params: TwilioParams, now: Date): { accountSid: string; events: CallEvent[] } {
  const p = validateOrThrow(twilioDialStatusParamsSchema, flatten(params), 'body') as Record<string, string>;
  const occurredAt = eventTime(p, now);
  const events: CallEvent[] = [];
  if (p.DialCallStatus) {
    const callSid = p.CallSid!;
    const base = { provider: 'twilio' as const, providerCallId: callSid, occurredAt, raw: p };
    const talk = int(p.DialCallDuration) ?? 0;
    const outcome = OUTCOMES[p.DialCallStatus]!;
    if (outcome === 'completed') {
      // Same key as the leg's in-progress event: whichever arrives first records the answer.
      events.push({
        ...base,
        type: 'call.answered',
        eventKey: `${callSid}:answered`,
        occurredAt: new Date(occurredAt.getTime() - talk * 1000),
        answeredBy: answeredBy(p.AnsweredBy),
      });
    }
    events.push({
      ...base,
      type: 'call.ended',
      eventKey: `${callSid}:dial:${p.DialCallStatus}`,
      outcome,
      talkSeconds: outcome === 'completed' ? talk : 0,
      reason: `twilio:dial:${p.DialCallStatus}`,
    });
    return { accountSid: p.AccountSid!, events };
  }
  const parent = p.ParentCallSid!;
  const base = { provider: 'twilio' as const, providerCallId: parent, occurredAt, raw: p };
  const status = p.CallStatus!;
  if (status === 'in-progress') {
    events.push({ ...base, type: 'call.answered', eventKey: `${parent}:answered`, answeredBy: answeredBy(p.AnsweredBy) });
  } else if (OUTCOMES[status]) {
    const outcome = OUTCOMES[status]!;
    events.push({
      ...base,
      type: 'call.ended',
      eventKey: `${parent}:leg:${p.CallSid}:${status}`,
      outcome,
      talkSeconds: outcome === 'completed' ? (int(p.CallDuration) ?? 0) : 0,
      reason: `twilio:leg:${status}`,
    });
  }
  // initiated / ringing on the agent leg: nothing to record on the call.
  return { accountSid: p.AccountSid!, events };
}

export function parseRecording(params: TwilioParams, now: Date): { accountSid: string; events: CallEvent[] } {
  const p = validateOrThrow(twilioRecordingParamsSchema, flatten(params), 'body') as Record<string, string>;
  const status = p.RecordingStatus!;
  if (status !== 'completed' && status !== 'absent' && status !== 'failed') return { accountSid: p.AccountSid!, events: [] };
  const duration = int(p.RecordingDuration);
  return {
    accountSid: p.AccountSid!,
    events: [
      {
        type: 'recording.available',
        provider: 'twilio',
        providerCallId: p.CallSid!,
        eventKey: `${p.RecordingSid}:${status}`,
        occurredAt: now,
        raw: p,
        source: {
          kind: 'twilio',
          recordingSid: p.RecordingSid!,
          url: p.RecordingUrl!,
          accountSid: p.AccountSid!,
          durationSeconds: duration ?? null,
          channels: int(p.RecordingChannels) ?? null,
          status,
        },
      },
    ],
  };
}
