import twilio from 'twilio';
import { twilioClient } from '../../adapters/telephony/twilio/twilio-rest.js';
import { AmiClient } from '../../adapters/telephony/asterisk/ami-client.js';
import type { AsteriskCallbackTracker } from './asterisk-callback-tracker.js';
import type { AsteriskConfig, TwilioApiConfig } from '../../config.js';
import type { TwilioCredentialsLookup } from '../recordings/recording-fetcher.js';
import { ProviderError, ServiceUnavailableError } from '../../errors/app-error.js';
import type { Logger } from '../../logging/logger.js';

/** One callback to place: ring the business first, then connect the visitor. */
export interface CallbackOrder {
  readonly inquiryId: string;
  /** The site's account: its own provider login places the call. */
  readonly accountId: string;
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
 * Twilio REST `POST /2010-04-01/Accounts/{Sid}/Calls.json` with the site's account's own Twilio login (the one
 * connected in the console; the environment's login stands for the default account): To is the business, the inline
 * Twiml whispers the visitor's number to it and dials the visitor with the site's caller id; status callbacks reach
 * the same status webhook as inbound calls, so the call's progress is applied like theirs.
 */
export class TwilioCallbackDialer implements CallbackDialer {
  /** One SDK client per Account SID and token: a rotated token gets a new client. */
  private readonly clients = new Map<string, ReturnType<typeof twilio>>();

  constructor(
    private readonly credentials: TwilioCredentialsLookup,
    private readonly o: { statusCallback: string; api: TwilioApiConfig },
  ) {}

  private async clientFor(accountId: string): Promise<ReturnType<typeof twilio>> {
    const creds = await this.credentials.forAccount(accountId);
    if (!creds) throw new ServiceUnavailableError('This account has no Twilio login connected');
    const key = `${creds.accountSid}:${creds.authToken}`;
    let client = this.clients.get(key);
    if (!client) {
      client = twilioClient(creds, { baseUrl: this.o.api.baseUrl.href, region: this.o.api.region, edge: this.o.api.edge });
      this.clients.set(key, client);
    }
    return client;
  }

  twiml(order: CallbackOrder): string {
    const r = new twilio.twiml.VoiceResponse();
    r.say({ language: order.language }, order.whisper);
    const dial = r.dial({ callerId: order.callerId, ...(order.record ? { record: 'record-from-answer-dual' as const } : {}) });
    dial.number(order.visitor);
    return r.toString();
  }

  async place(order: CallbackOrder) {
    const client = await this.clientFor(order.accountId);
    try {
      const call = await client.calls.create({
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
 * the configured context, and once it answers the dialplan continues at the visitor's number in that context. The
 * Originate presets both Local halves' Uniqueids, and the tracker follows the call's events on this connection.
 */
export class AsteriskCallbackDialer implements CallbackDialer {
  private client: AmiClient | null = null;

  constructor(
    private readonly cfg: AsteriskConfig,
    private readonly logger: Logger,
    private readonly tracker: AsteriskCallbackTracker | null = null,
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
      const tracker = this.tracker;
      if (tracker) this.client.on('event', (e) => tracker.onEvent(e));
      this.client.start();
    }
    await this.client.whenReady(5_000).catch(() => {
      throw new ServiceUnavailableError('The PBX manager interface is not reachable');
    });
    const id = `callback-${order.inquiryId}`;
    const channelIds = { channelId: `${id}-1`, otherChannelId: `${id}-2` };
    this.tracker?.watch({ inquiryId: order.inquiryId, accountId: order.accountId, providerCallId: id, ...channelIds });
    const sent = this.client.action(
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
        channelid: channelIds.channelId,
        otherchannelid: channelIds.otherChannelId,
      },
      { timeoutMs: 10_000 },
    );
    const response = await sent.catch((err: unknown) => {
      this.tracker?.forget(order.inquiryId);
      throw err;
    });
    this.tracker?.actionSent(order.inquiryId, response['actionid']);
    return { provider: 'asterisk' as const, providerCallId: id };
  }

  async close() {
    await this.client?.stop();
  }
}
