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

/**
 * `dialTwiml` answers, kept per plan: the calls to one tracking number differ only in their caller id, so the
 * document is built by VoiceResponse once per plan and the caller id spliced into it. Building it anew was the
 * largest share of the voice answer's CPU time after the signature check (xmlbuilder allocates a node tree per
 * call; `scripts/bench-voice-answer.ts`). Only E.164 caller ids are spliced ("+" and digits: nothing to escape);
 * a plan whose document holds the placeholder more than once (an announcement quoting it) is built every time.
 * Bounded: emptied when full, so plans of numbers that changed drop out.
 */
export class DialTwimlCache {
  private readonly plans = new Map<string, readonly [string, string] | null>();

  constructor(
    private readonly urls: WebhookUrls,
    private readonly max = 1_000,
  ) {}

  render(plan: DialPlan): string {
    const stripped = plan.callerId ? stripControlChars(plan.callerId) : null;
    const callerId = stripped && isE164(stripped) ? stripped : null;
    const key = JSON.stringify([
      plan.forwardTo,
      plan.record,
      plan.announcement,
      plan.whisper,
      plan.timeoutSeconds ?? null,
      plan.say,
      plan.locale,
      !!callerId,
    ]);
    let parts = this.plans.get(key);
    if (parts === undefined) {
      parts = callerId ? split(dialTwiml({ ...plan, callerId: CALLER_PLACEHOLDER }, this.urls)) : [dialTwiml(plan, this.urls), ''];
      if (this.plans.size >= this.max) this.plans.clear();
      this.plans.set(key, parts);
    }
    if (!parts) return dialTwiml(plan, this.urls);
    return callerId ? `${parts[0]}${callerId}${parts[1]}` : parts[0];
  }
}

/** A possible E.164 number no real caller has (+1 555 01xx is reserved for fiction), so dialTwiml keeps it. */
const CALLER_PLACEHOLDER = '+15550100999';
const CALLER_ATTRIBUTE = `callerId="${CALLER_PLACEHOLDER}"`;

function split(xml: string): readonly [string, string] | null {
  const at = xml.indexOf(CALLER_ATTRIBUTE);
  if (at < 0 || xml.indexOf(CALLER_PLACEHOLDER, at + CALLER_ATTRIBUTE.length) >= 0 || xml.indexOf(CALLER_PLACEHOLDER) < at) return null;
  const start = at + 'callerId="'.length;
  return [xml.slice(0, start), xml.slice(start + CALLER_PLACEHOLDER.length)];
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
