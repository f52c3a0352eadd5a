import type { IncomingMessage, ServerResponse } from 'node:http';
import { DialTwimlCache, emptyTwiml, rejectTwiml, sayTwiml, unavailableTwiml } from '../../adapters/telephony/twilio/twiml.js';
import type { WebhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import { DEFAULT_SAY_VOICES, sayAttributes } from '../../adapters/telephony/twilio/say-voices.js';
import type { SayVoices } from '../../adapters/telephony/twilio/say-voices.js';
import { isLocale, t } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/i18n.js';
import { parseDialStatus, parseRecording, parseStatus, parseVoice } from '../../adapters/telephony/twilio/twilio-webhook-parser.js';
import { twilioFormSchema } from '../../adapters/telephony/twilio/twilio-webhook-schemas.js';
import { publicWebhookUrls, verifyTwilioSignature } from '../../adapters/telephony/twilio/twilio-signature.js';
import type { TwilioParams } from '../../adapters/telephony/twilio/twilio-signature.js';
import { BadDataError, ForbiddenError, UnsupportedMediaTypeError } from '../../errors/app-error.js';
import { readBody } from '../../http/fast-path.js';
import type { FastController, FastRoute } from '../../http/route.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { withoutControlChars } from '../../shared/control-chars.js';
import type { CallEvent } from '../calls/call-events.js';
import type { AnswerGate } from './answer-gate.js';
import type { CallEventWriter } from './call-event-pipeline.js';
import type { CallWebhookMetrics } from './call-webhook-metrics.js';
import type { RoutingService } from './routing-service.js';

/** How long a callback waits for its write before answering anyway (Twilio gives up after 15 s). */
export const CALLBACK_WRITE_WAIT_MS = 3_000;

const tags = ['telephony'];
const xml = { description: 'TwiML', contentType: 'text/xml' } as const;
const errors = {
  400: { description: 'Missing signature or malformed parameters' },
  403: { description: 'Signature does not match (or the Twilio account is unknown)' },
} as const;

/**
 * Twilio's webhooks: the voice URL answers from the in-memory routing table; status, dial and recording callbacks
 * become call events. Every request is checked against X-Twilio-Signature with the auth token of the posted
 * AccountSid, over the public URL rebuilt from configuration, before any of its data is used.
 */
export class TwilioWebhookController implements FastController {
  readonly fastRoutes: readonly FastRoute[];
  private readonly dialAnswers: DialTwimlCache;
  private readonly publicUrl: (originalUrl: string) => string;

  constructor(
    private readonly deps: {
      routing: RoutingService;
      writer: CallEventWriter;
      publicBaseUrl: URL;
      urls: WebhookUrls;
      clock: Clock;
      logger: Logger;
      metrics?: CallWebhookMetrics;
      /** Held while a voice answer is built, so call writes wait for it. */
      gate?: AnswerGate;
      /** `<Say>` language and voice per locale (default: DEFAULT_SAY_VOICES). */
      sayVoices?: SayVoices;
    },
  ) {
    this.dialAnswers = new DialTwimlCache(deps.urls);
    this.publicUrl = publicWebhookUrls(deps.publicBaseUrl);
    const spec = (path: string, operationId: string, summary: string) =>
      ({
        method: 'post',
        path: `/v1/telephony/twilio/${path}`,
        operationId,
        summary,
        tags,
        auth: 'public',
        bodyType: 'form',
        body: twilioFormSchema,
        responses: { 200: xml, ...errors },
      }) as const;
    // readForm can only produce twilioFormSchema's shape (strings, or arrays of them, under any name), so the route
    // schema documents the body and each webhook's strict schema (the parser's) is the check.
    const form = readForm;
    // Every Twilio webhook is answered on the lean fast path: no express stack between Twilio and the TwiML, and
    // a burst of callbacks costs the voice answers as little event-loop time as it can.
    this.fastRoutes = [
      {
        spec: spec('voice', 'twilioVoice', "A call to a tracking number: TwiML that dials the number's forward-to target"),
        handle: async (req, res) => {
          this.deps.gate?.enter();
          try {
            this.voice(req.headers['x-twilio-signature'], req.url ?? '/', await form(req), res);
          } finally {
            this.deps.gate?.leave();
          }
        },
      },
      {
        spec: spec('status', 'twilioStatus', "The number's status callback (final status of the inbound call)"),
        handle: async (req, res) => this.callback(req, res, await form(req), parseStatus),
      },
      {
        spec: spec('dial-status', 'twilioDialStatus', 'The Dial action and the dialled leg’s progress'),
        handle: async (req, res) => this.callback(req, res, await form(req), parseDialStatus),
      },
      {
        spec: spec('recording', 'twilioRecording', 'Recording status callback'),
        handle: async (req, res) => this.callback(req, res, await form(req), parseRecording),
      },
      {
        spec: spec('whisper', 'twilioWhisper', 'Said to the agent before the call is bridged'),
        handle: async (req, res) => {
          const url = req.url ?? '/';
          this.verify(req.headers['x-twilio-signature'], url, await form(req));
          const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
          const text = (query.get('text') ?? '').slice(0, 200);
          const locale = query.get('locale');
          sendXml(res, text ? sayTwiml(text, this.say(isLocale(locale) ? locale : 'en')) : emptyTwiml());
        },
      },
    ];
  }

  private say(locale: Locale): VoiceResponse.SayAttributes {
    return sayAttributes(this.deps.sayVoices ?? DEFAULT_SAY_VOICES, locale);
  }

  /** Throws 400 without a signature, 403 when it does not match; returns the login's account id. */
  private verify(signatureHeader: string | string[] | undefined, originalUrl: string, params: TwilioParams): string {
    const signature = Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader;
    const refuse = (err: Error): never => {
      this.deps.metrics?.rejected('signature');
      throw err;
    };
    if (!signature) return refuse(new BadDataError('X-Twilio-Signature header is required'));
    const sid = params.AccountSid;
    const login = typeof sid === 'string' ? this.deps.routing.twilioLogin(sid) : null;
    if (!login) return refuse(new ForbiddenError('Unknown Twilio account'));
    const url = this.publicUrl(originalUrl);
    if (!verifyTwilioSignature({ authToken: login.authToken, url, params, signature }))
      return refuse(new ForbiddenError('X-Twilio-Signature does not match'));
    return login.accountId;
  }

  private voice(signature: string | string[] | undefined, originalUrl: string, params: TwilioParams, res: ServerResponse): void {
    const loginAccountId = this.verify(signature, originalUrl, params);
    const now = this.deps.clock.now();
    // Verified over what Twilio sent; used (and stored) without characters no row or TwiML may hold.
    const { call, events } = parseVoice(withoutControlChars(params), now);
    const decision = this.deps.routing.decide({ accountSid: call.accountSid, to: call.to, from: call.from });
    let twiml: string;
    switch (decision.kind) {
      case 'dial':
        twiml = this.dialAnswers.render({
          forwardTo: decision.forwardTo,
          callerId: call.from === 'anonymous' ? null : call.from,
          record: decision.record,
          announcement: decision.announcement,
          whisper: decision.whisper,
          say: this.say(decision.locale),
          locale: decision.locale,
        });
        break;
      case 'reject':
        twiml = rejectTwiml();
        break;
      default:
        twiml = unavailableTwiml(t(decision.locale, 'voice.unavailable'), this.say(decision.locale));
    }
    // Journaled (on local disk) before the answer goes out, then written behind it: a crash or a stop after the
    // caller was connected cannot lose the call, and the answer never waits on the database.
    const accountId = decision.accountId ?? loginAccountId;
    for (const e of events) {
      const hinted: CallEvent =
        e.type === 'call.ringing'
          ? {
              ...e,
              accountId,
              ...(decision.siteId ? { siteId: decision.siteId } : {}),
              ...(decision.kind === 'dial' ? { forwardTo: decision.forwardTo } : {}),
            }
          : e;
      this.deps.writer.submit(hinted);
    }
    sendXml(res, twiml);
    this.deps.metrics?.voiceAnswered(decision.kind);
  }

  private async callback(
    req: IncomingMessage,
    res: ServerResponse,
    params: TwilioParams,
    parse: (p: TwilioParams, now: Date) => { accountSid: string; events: CallEvent[] },
  ): Promise<void> {
    const accountId = this.verify(req.headers['x-twilio-signature'], req.url ?? '/', params);
    // Each event names the tenant whose login signed it: a CallSid of another tenant's call is not enough to touch it.
    const events = parse(withoutControlChars(params), this.deps.clock.now()).events.map((e): CallEvent => ({ ...e, accountId }));
    // In order, each bounded: a healthy database answers after the write, a sick one never holds Twilio up.
    const deadline = Date.now() + CALLBACK_WRITE_WAIT_MS;
    for (const e of events) {
      const left = deadline - Date.now();
      if (left > 0) await this.deps.writer.applyWithin(e, left);
      else this.deps.writer.submit(e);
    }
    sendXml(res, emptyTwiml());
  }
}

function sendXml(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/** A form body as express's `urlencoded({extended: false})` gives it: repeated keys become arrays. */
async function readForm(req: IncomingMessage): Promise<TwilioParams> {
  const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (media !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new UnsupportedMediaTypeError(`Content-Type must be application/x-www-form-urlencoded, got "${media || 'none'}"`);
  }
  const raw = await readBody(req, 64 * 1024);
  // No prototype: a parameter named "__proto__" is a parameter like any other.
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
