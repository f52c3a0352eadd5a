import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import { isE164 } from '../../../shared/phone.js';
import { stripControlChars } from '../../../shared/control-chars.js';

/**
 * TwiML answers, rendered with twilio's VoiceResponse (text is XML-escaped by it). Escaping cannot make a control
 * character legal XML (the builder throws on one, which would leave the caller unconnected), so every text and
 * attribute taken from settings or a request passes `stripControlChars` first.
 */

export interface WebhookUrls {
  readonly voice: string;
  readonly status: string;
  readonly dialStatus: string;
  readonly recording: string;
  readonly whisper: string;
}

/** The webhook URLs of this gateway under its public base URL (what numbers are configured with). */
export function webhookUrls(publicBaseUrl: URL): WebhookUrls {
  const base = publicBaseUrl.href.replace(/\/+$/, '');
  const at = (p: string) => `${base}/v1/telephony/twilio/${p}`;
  return { voice: at('voice'), status: at('status'), dialStatus: at('dial-status'), recording: at('recording'), whisper: at('whisper') };
}

export interface DialPlan {
  readonly forwardTo: string;
  /** Passed through so the business sees who is calling. */
  readonly callerId: string | null;
  readonly record: boolean;
  /** Said to the caller before connecting ("This call may be recorded"). */
  readonly announcement: string | null;
  /** Said to the agent before bridging ("Call from Google Ads"). */
  readonly whisper: string | null;
  /** Ring seconds before giving up on the business. */
  readonly timeoutSeconds?: number;
  /** `<Say>` language and voice of the site's locale; `locale` goes to the whisper URL so the agent hears the same. */
  readonly say: VoiceResponse.SayAttributes;
  readonly locale: string;
}

export function dialTwiml(plan: DialPlan, urls: WebhookUrls): string {
  const vr = new twilio.twiml.VoiceResponse();
  const announcement = plan.announcement ? stripControlChars(plan.announcement).trim() : '';
  const whisper = plan.whisper ? stripControlChars(plan.whisper) : '';
  const callerId = plan.callerId ? stripControlChars(plan.callerId) : null;
  if (announcement) vr.say(plan.say, announcement);
  const dial = vr.dial({
    // The caller hears ringback until the business picks up, so the parent leg's answer means a real answer.
    answerOnBridge: true,
    // Twilio only accepts an E.164 caller id here; withheld callers keep Twilio's default.
    ...(callerId && isE164(callerId) ? { callerId } : {}),
    timeout: plan.timeoutSeconds ?? 30,
    action: urls.dialStatus,
    method: 'POST',
    ...(plan.record
      ? {
          record: 'record-from-answer-dual' as const,
          recordingStatusCallback: urls.recording,
          recordingStatusCallbackMethod: 'POST' as const,
          recordingStatusCallbackEvent: ['completed', 'absent'],
        }
      : {}),
  });
  dial.number(
    {
      statusCallback: urls.dialStatus,
      statusCallbackMethod: 'POST',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      ...(whisper ? { url: `${urls.whisper}?${new URLSearchParams({ text: whisper, locale: plan.locale }).toString()}` } : {}),
    },
    stripControlChars(plan.forwardTo),
  );
  return vr.toString();
}

/** A blocked caller: refused with a busy signal (polite, no charge for an answered call). */
export function rejectTwiml(): string {
  const vr = new twilio.twiml.VoiceResponse();
  vr.reject({ reason: 'busy' });
  return vr.toString();
}

/** Nowhere to send the call: never silence, say so (in the site's language) and hang up. */
export function unavailableTwiml(message: string, say: VoiceResponse.SayAttributes): string {
  const vr = new twilio.twiml.VoiceResponse();
  vr.say(say, stripControlChars(message));
  vr.hangup();
  return vr.toString();
}

export function sayTwiml(text: string, say: VoiceResponse.SayAttributes): string {
  const vr = new twilio.twiml.VoiceResponse();
  vr.say(say, stripControlChars(text));
  return vr.toString();
}

/** The answer to a Dial action or a callback: nothing more to do on the call. */
export function emptyTwiml(): string {
  return new twilio.twiml.VoiceResponse().toString();
}
