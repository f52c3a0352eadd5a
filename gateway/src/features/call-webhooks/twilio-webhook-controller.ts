import type { Request, Response } from 'express';
import { dialTwiml, emptyTwiml, rejectTwiml, sayTwiml, unavailableTwiml } from '../../adapters/telephony/twilio/twiml.js';
import type { WebhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import { parseDialStatus, parseRecording, parseStatus, parseVoice } from '../../adapters/telephony/twilio/twilio-webhook-parser.js';
import { twilioFormSchema } from '../../adapters/telephony/twilio/twilio-webhook-schemas.js';
import { publicWebhookUrl, verifyTwilioSignature } from '../../adapters/telephony/twilio/twilio-signature.js';
import type { TwilioParams } from '../../adapters/telephony/twilio/twilio-signature.js';
import { BadDataError, ForbiddenError } from '../../errors/app-error.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { CallEvent } from '../calls/call-events.js';
import type { CallWebhookMetrics } from './call-webhook-metrics.js';
import type { RetryingCallEventWriter } from './retrying-call-event-writer.js';
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
export class TwilioWebhookController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(
    private readonly deps: {
      routing: RoutingService;
      writer: RetryingCallEventWriter;
      publicBaseUrl: URL;
      urls: WebhookUrls;
      clock: Clock;
      logger: Logger;
      metrics?: CallWebhookMetrics;
    },
  ) {
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
    this.routes = [
      route(spec('voice', 'twilioVoice', "A call to a tracking number: TwiML that dials the number's forward-to target"), ({ req, res, body }) => {
        this.voice(req, res, body as TwilioParams);
        return undefined;
      }),
      route(spec('status', 'twilioStatus', "The number's status callback (final status of the inbound call)"), ({ req, res, body }) =>
        this.callback(req, res, body as TwilioParams, parseStatus),
      ),
      route(spec('dial-status', 'twilioDialStatus', 'The Dial action and the dialled leg’s progress'), ({ req, res, body }) =>
        this.callback(req, res, body as TwilioParams, parseDialStatus),
      ),
      route(spec('recording', 'twilioRecording', 'Recording status callback'), ({ req, res, body }) =>
        this.callback(req, res, body as TwilioParams, parseRecording),
      ),
      route(spec('whisper', 'twilioWhisper', 'Said to the agent before the call is bridged'), ({ req, res, body }) => {
        this.verify(req, body as TwilioParams);
        const text = typeof req.query.text === 'string' ? req.query.text.slice(0, 200) : '';
        sendXml(res, text ? sayTwiml(text) : emptyTwiml());
        return undefined;
      }),
    ];
  }

  /** Throws 400 without a signature, 403 when it does not match; returns the login's account id. */
  private verify(req: Request, params: TwilioParams): string {
    const signature = req.header('x-twilio-signature');
    const refuse = (err: Error): never => {
      this.deps.metrics?.rejected('signature');
      throw err;
    };
    if (!signature) return refuse(new BadDataError('X-Twilio-Signature header is required'));
    const sid = params.AccountSid;
    const login = typeof sid === 'string' ? this.deps.routing.twilioLogin(sid) : null;
    if (!login) return refuse(new ForbiddenError('Unknown Twilio account'));
    const url = publicWebhookUrl(this.deps.publicBaseUrl, req.originalUrl);
    if (!verifyTwilioSignature({ authToken: login.authToken, url, params, signature }))
      return refuse(new ForbiddenError('X-Twilio-Signature does not match'));
    return login.accountId;
  }

  private voice(req: Request, res: Response, params: TwilioParams): void {
    const loginAccountId = this.verify(req, params);
    const now = this.deps.clock.now();
    const { call, events } = parseVoice(params, now);
    const decision = this.deps.routing.decide({ accountSid: call.accountSid, to: call.to, from: call.from });
    let twiml: string;
    switch (decision.kind) {
      case 'dial':
        twiml = dialTwiml(
          {
            forwardTo: decision.forwardTo,
            callerId: call.from === 'anonymous' ? null : call.from,
            record: decision.record,
            announcement: decision.announcement,
            whisper: decision.whisper,
          },
          this.deps.urls,
        );
        break;
      case 'reject':
        twiml = rejectTwiml();
        break;
      default:
        twiml = unavailableTwiml();
    }
    sendXml(res, twiml);
    this.deps.metrics?.voiceAnswered(decision.kind);
    // The record is written after the answer; a failure is retried without the caller ever noticing.
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
  }

  private async callback(
    req: Request,
    res: Response,
    params: TwilioParams,
    parse: (p: TwilioParams, now: Date) => { accountSid: string; events: CallEvent[] },
  ): Promise<undefined> {
    this.verify(req, params);
    const { events } = parse(params, this.deps.clock.now());
    // In order, each bounded: a healthy database answers after the write, a sick one never holds Twilio up.
    const deadline = Date.now() + CALLBACK_WRITE_WAIT_MS;
    for (const e of events) {
      const left = deadline - Date.now();
      if (left > 0) await this.deps.writer.applyWithin(e, left);
      else this.deps.writer.submit(e);
    }
    sendXml(res, emptyTwiml());
    return undefined;
  }
}

function sendXml(res: Response, body: string): void {
  res.status(200).type('text/xml').send(body);
}
