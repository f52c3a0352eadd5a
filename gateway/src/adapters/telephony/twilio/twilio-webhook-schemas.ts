/**
 * What Twilio posts to our webhooks (telephony reference B1-B4), as ajv schemas. Extra parameters are allowed:
 * Twilio adds fields over time (StirVerstat, CallToken, AddOns...). Repeated keys arrive as arrays.
 */

const extra = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;
const accountSid = { type: 'string', pattern: '^AC[0-9A-Za-z]{32}$' } as const;
const callSid = { type: 'string', pattern: '^CA[0-9A-Za-z]{32}$' } as const;
const digits = { type: 'string', pattern: '^-?[0-9]{1,9}$' } as const;
const callStatus = {
  type: 'string',
  enum: ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'],
} as const;

/** Anything form-shaped: the route accepts it, the signature is checked, then the strict schema below applies. */
export const twilioFormSchema = {
  $id: 'twilioWebhookForm',
  type: 'object',
  description: 'Twilio webhook parameters (application/x-www-form-urlencoded), signed with X-Twilio-Signature',
  additionalProperties: extra,
} as const;

export const twilioVoiceParamsSchema = {
  $id: 'twilioVoiceParams',
  type: 'object',
  required: ['AccountSid', 'CallSid', 'From', 'To'],
  properties: {
    AccountSid: accountSid,
    CallSid: callSid,
    From: { type: 'string', maxLength: 256 },
    To: { type: 'string', minLength: 1, maxLength: 256 },
    CallStatus: callStatus,
    Direction: { type: 'string' },
    ParentCallSid: callSid,
  },
  additionalProperties: extra,
} as const;

export const twilioStatusParamsSchema = {
  $id: 'twilioStatusParams',
  type: 'object',
  required: ['AccountSid', 'CallSid', 'CallStatus'],
  properties: {
    AccountSid: accountSid,
    CallSid: callSid,
    CallStatus: callStatus,
    From: { type: 'string', maxLength: 256 },
    To: { type: 'string', maxLength: 256 },
    SequenceNumber: digits,
    CallDuration: digits,
    Timestamp: { type: 'string', maxLength: 64 },
    AnsweredBy: { type: 'string', maxLength: 64 },
    SipResponseCode: digits,
    ParentCallSid: callSid,
  },
  additionalProperties: extra,
} as const;

/** `<Dial action>` (has DialCallStatus) or a `<Number statusCallback>` leg event (has ParentCallSid). */
export const twilioDialStatusParamsSchema = {
  $id: 'twilioDialStatusParams',
  type: 'object',
  required: ['AccountSid', 'CallSid'],
  properties: {
    AccountSid: accountSid,
    CallSid: callSid,
    CallStatus: callStatus,
    DialCallStatus: { type: 'string', enum: ['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled'] },
    DialCallSid: callSid,
    DialCallDuration: digits,
    ParentCallSid: callSid,
    CallDuration: digits,
    SequenceNumber: digits,
    Timestamp: { type: 'string', maxLength: 64 },
    AnsweredBy: { type: 'string', maxLength: 64 },
  },
  anyOf: [{ required: ['DialCallStatus'] }, { required: ['ParentCallSid', 'CallStatus'] }],
  additionalProperties: extra,
} as const;

export const twilioRecordingParamsSchema = {
  $id: 'twilioRecordingParams',
  type: 'object',
  required: ['AccountSid', 'CallSid', 'RecordingSid', 'RecordingUrl', 'RecordingStatus'],
  properties: {
    AccountSid: accountSid,
    CallSid: callSid,
    RecordingSid: { type: 'string', pattern: '^RE[0-9A-Za-z]{32}$' },
    RecordingUrl: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    RecordingStatus: { type: 'string', enum: ['in-progress', 'completed', 'absent', 'failed', 'paused', 'stopped', 'processing'] },
    RecordingDuration: digits,
    RecordingChannels: digits,
    RecordingStartTime: { type: 'string', maxLength: 64 },
  },
  additionalProperties: extra,
} as const;
