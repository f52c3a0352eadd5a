import twilio from 'twilio';
import { twilioClient } from '../../adapters/telephony/twilio/twilio-rest.js';
import { AmiClient } from '../../adapters/telephony/asterisk/ami-client.js';
import type { AsteriskConfig, TwilioApiConfig } from '../../config.js';
import { ProviderError, ServiceUnavailableError } from '../../errors/app-error.js';
import type { Logger } from '../../logging/logger.js';

/** One callback to place: ring the business first, then connect the visitor. */
export interface CallbackOrder {
  readonly inquiryId: string;
  readonly business: string;
  readonly visitor: string;
  /** The number both legs show. */
  readonly callerId: string;
  /** Spoken to the business before the visitor is dialled. */
  readonly whisper: string;
  readonly language: 'en-US' | 'ru-RU';
  readonly record: boolean;
  readonly asteriskContext: string;
}

export interface CallbackDialer {
  /** Returns the provider's id of the call it started. */
  place(order: CallbackOrder): Promise<{ provider: 'twilio' | 'asterisk'; providerCallId: string }>;
  close?(): Promise<void>;
}

/**
 * Twilio REST `POST /2010-04-01/Accounts/{Sid}/Calls.json`: To is the business, the inline Twiml whispers the
 * visitor's number to it and dials the visitor with the site's caller id; status callbacks reach the same status
 * webhook as inbound calls, so the call's progress is applied like theirs.
 */
export class TwilioCallbackDialer implements CallbackDialer {
  private readonly client: ReturnType<typeof twilio>;

  constructor(
    creds: { accountSid: string; authToken: string },
    private readonly o: { statusCallback: string; api: TwilioApiConfig },
  ) {
    this.client = twilioClient(creds, { baseUrl: o.api.baseUrl.href, region: o.api.region, edge: o.api.edge });
  }

  twiml(order: CallbackOrder): string {
    const r = new twilio.twiml.VoiceResponse();
    r.say({ language: order.language }, order.whisper);
    const dial = r.dial({ callerId: order.callerId, ...(order.record ? { record: 'record-from-answer-dual' as const } : {}) });
    dial.number(order.visitor);
    return r.toString();
  }

  async place(order: CallbackOrder) {
    try {
      const call = await this.client.calls.create({
        to: order.business,
        from: order.callerId,
        twiml: this.twiml(order),
        statusCallback: this.o.statusCallback,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      });
      return { provider: 'twilio' as const, providerCallId: call.sid };
    } catch (err) {
      const e = err as { code?: number; message?: string };
      throw new ProviderError(`Twilio refused the callback${e.code ? ` (error ${e.code})` : ''}`, [
        { message: String(e.message ?? '').slice(0, 300) },
      ]);
    }
  }
}

/**
 * Asterisk `Originate` over AMI (its own manager login, opened on first use): a Local channel rings the business in
 * the configured context, and once it answers the dialplan continues at the visitor's number in that context.
 */
export class AsteriskCallbackDialer implements CallbackDialer {
  private client: AmiClient | null = null;

  constructor(
    private readonly cfg: AsteriskConfig,
    private readonly logger: Logger,
  ) {}

  async place(order: CallbackOrder) {
    if (!this.client) {
      this.client = new AmiClient({
        host: this.cfg.host,
        port: this.cfg.port,
        username: this.cfg.username,
        secret: this.cfg.secret,
        authType: this.cfg.auth,
        logger: this.logger,
      });
      this.client.start();
    }
    await this.client.whenReady(5_000).catch(() => {
      throw new ServiceUnavailableError('The PBX manager interface is not reachable');
    });
    const id = `callback-${order.inquiryId}`;
    await this.client.action(
      {
        action: 'Originate',
        channel: `Local/${order.business.replace(/^\+/, '')}@${order.asteriskContext}`,
        context: order.asteriskContext,
        exten: order.visitor.replace(/^\+/, ''),
        priority: '1',
        callerid: `"${order.visitor}" <${order.callerId}>`,
        timeout: '30000',
        async: 'true',
        variable: `DNI_CALLBACK=${order.inquiryId}`,
      },
      { timeoutMs: 10_000 },
    );
    return { provider: 'asterisk' as const, providerCallId: id };
  }

  async close() {
    await this.client?.stop();
  }
}
