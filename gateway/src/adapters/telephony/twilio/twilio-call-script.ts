import { randomBytes } from 'node:crypto';

/**
 * The webhook sequence Twilio sends for one inbound call (telephony reference B1-B4), as parameter sets: used by
 * the call simulator, the benchmark and the tests, so all three speak exactly what Twilio speaks.
 */

export const randomSid = (prefix: 'CA' | 'RE' | 'AC' | 'PN'): string => prefix + randomBytes(16).toString('hex');

/** A modern inbound-call webhook (ringing), shaped like Twilio's current traffic (B1). */
export function inboundParams(p: { accountSid: string; callSid: string; from: string; to: string }): Record<string, string> {
  return {
    AccountSid: p.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: p.callSid,
    CallStatus: 'ringing',
    Called: p.to,
    CalledCity: '',
    CalledCountry: 'US',
    CalledState: '',
    CalledZip: '',
    Caller: p.from,
    CallerCity: '',
    CallerCountry: 'US',
    CallerState: '',
    CallerZip: '',
    Direction: 'inbound',
    From: p.from,
    FromCity: '',
    FromCountry: 'US',
    FromState: '',
    FromZip: '',
    StirVerstat: 'TN-Validation-Passed-B',
    To: p.to,
    ToCity: '',
    ToCountry: 'US',
    ToState: '',
    ToZip: '',
  };
}

/** The callbacks Twilio sends for an answered, recorded call, in their natural order. */
export function answeredCallCallbacks(p: {
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
  forwardTo: string;
  talkSeconds: number;
}): readonly { path: 'status' | 'dial-status' | 'recording'; params: Record<string, string> }[] {
  const leg = randomSid('CA');
  const recordingSid = randomSid('RE');
  const common = { AccountSid: p.accountSid, ApiVersion: '2010-04-01' };
  const legBase = {
    ...common,
    CallSid: leg,
    ParentCallSid: p.callSid,
    Direction: 'outbound-dial',
    From: p.from,
    To: p.forwardTo,
    CallbackSource: 'call-progress-events',
  };
  const ts = (s: number) => new Date(Date.now() + s * 1000).toUTCString().replace('GMT', '+0000');
  return [
    { path: 'dial-status', params: { ...legBase, CallStatus: 'initiated', SequenceNumber: '0', Timestamp: ts(0) } },
    { path: 'dial-status', params: { ...legBase, CallStatus: 'ringing', SequenceNumber: '1', Timestamp: ts(1) } },
    { path: 'dial-status', params: { ...legBase, CallStatus: 'in-progress', SequenceNumber: '2', Timestamp: ts(3) } },
    {
      path: 'dial-status',
      params: {
        ...legBase,
        CallStatus: 'completed',
        SequenceNumber: '3',
        Timestamp: ts(3 + p.talkSeconds),
        CallDuration: String(p.talkSeconds),
        Duration: '1',
      },
    },
    {
      path: 'dial-status',
      params: {
        ...common,
        CallSid: p.callSid,
        From: p.from,
        To: p.to,
        Direction: 'inbound',
        CallStatus: 'in-progress',
        DialCallSid: leg,
        DialCallStatus: 'completed',
        DialCallDuration: String(p.talkSeconds),
        DialBridged: 'true',
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${p.accountSid}/Recordings/${recordingSid}`,
        RecordingSid: recordingSid,
        RecordingDuration: String(p.talkSeconds),
      },
    },
    {
      path: 'status',
      params: {
        ...common,
        CallSid: p.callSid,
        From: p.from,
        To: p.to,
        Direction: 'inbound',
        CallStatus: 'completed',
        CallDuration: String(p.talkSeconds + 4),
        Duration: '1',
        SequenceNumber: '0',
        Timestamp: ts(4 + p.talkSeconds),
        CallbackSource: 'call-progress-events',
      },
    },
    {
      path: 'recording',
      params: {
        ...common,
        CallSid: p.callSid,
        RecordingSid: recordingSid,
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${p.accountSid}/Recordings/${recordingSid}`,
        RecordingStatus: 'completed',
        RecordingDuration: String(p.talkSeconds),
        RecordingChannels: '2',
        RecordingStartTime: ts(3),
        RecordingSource: 'DialVerb',
        RecordingTrack: 'both',
        ErrorCode: '0',
      },
    },
  ];
}
