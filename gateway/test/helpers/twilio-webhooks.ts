import { randomBytes } from 'node:crypto';
import { signTwilioRequest } from '../../src/adapters/telephony/twilio/twilio-signature.js';

/** Posting signed Twilio webhooks the way Twilio does: form-encoded, signed over the public URL. */

export const randomSid = (prefix: 'CA' | 'RE' | 'AC' | 'PN'): string => prefix + randomBytes(16).toString('hex');

export interface TwilioPoster {
  post(
    path: 'voice' | 'status' | 'dial-status' | 'recording' | string,
    params: Record<string, string>,
    opts?: { signature?: string | null; query?: string },
  ): Promise<Response>;
}

/**
 * `baseUrl` is where the request goes (loopback); `publicBaseUrl` is what Twilio signed (the proxy's public URL).
 */
export function twilioPoster(baseUrl: string, publicBaseUrl: string, authToken: string): TwilioPoster {
  return {
    async post(path, params, opts = {}) {
      const suffix = `/v1/telephony/twilio/${path}${opts.query ? `?${opts.query}` : ''}`;
      const signature =
        opts.signature === undefined ? signTwilioRequest(authToken, `${publicBaseUrl.replace(/\/$/, '')}${suffix}`, params) : opts.signature;
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (signature !== null) headers['x-twilio-signature'] = signature;
      return fetch(`${baseUrl}${suffix}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    },
  };
}

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
export function answeredCallCallbacks(p: { accountSid: string; callSid: string; from: string; to: string; forwardTo: string; talkSeconds: number }) {
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
  ] as const;
}

/** Polls until `fn` returns a truthy value, for at most `ms`. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
