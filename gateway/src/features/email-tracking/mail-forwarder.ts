import type { Knex } from 'knex';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { DeliveryError } from '../outbox/outbox-handler.js';
import type { DeliveryContext, OutboxHandler } from '../outbox/outbox-handler.js';
import type { OutboxMessage } from '../outbox/outbox-types.js';
import type { RetryPolicy } from '../outbox/retry-policy.js';
import { MAIL_FORWARD_TOPIC } from './email-intake.js';

/**
 * Sends a tracked message on to the business through the relay (nodemailer SMTP client): the stored bytes as they
 * came, so headers and body are intact and the business replies to the sender; only the envelope is ours.
 */
export class MailForwarder implements OutboxHandler {
  readonly topic = MAIL_FORWARD_TOPIC;
  private transport: Transporter | null = null;

  constructor(
    private readonly deps: { db: Knex; relayUrl: string | null; bounceAddress: string | null; clock: Clock; logger: Logger },
    readonly policy: RetryPolicy,
  ) {}

  async handle(msg: OutboxMessage, _ctx: DeliveryContext): Promise<void> {
    const { inquiryId } = msg.payload as { inquiryId: string };
    if (!this.deps.relayUrl) throw new DeliveryError('MAIL_RELAY_URL is not set: tracked mail cannot be forwarded', { retryable: false });
    const row = (await this.deps
      .db('inbound_mail as m')
      .join('inquiries as i', 'i.id', 'm.inquiry_id')
      .where({ 'm.inquiry_id': inquiryId, 'm.account_id': msg.accountId })
      .first('m.raw', 'm.forward_to', 'i.email')) as { raw: Buffer; forward_to: string; email: string | null } | undefined;
    if (!row) throw new DeliveryError(`Message of inquiry ${inquiryId} is gone`, { retryable: false });
    this.transport ??= nodemailer.createTransport(this.deps.relayUrl);
    try {
      await this.transport.sendMail({
        envelope: { from: this.deps.bounceAddress ?? row.email ?? '', to: [row.forward_to] },
        raw: Buffer.from(row.raw),
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // 5xx from the relay is a permanent refusal (RFC 5321); 4xx and connection failures are worth retrying.
      throw new DeliveryError(`Relay refused the message: ${(err as Error).message}`, { retryable: !(code && code >= 500) });
    }
    await this.deps.db('inquiries').where({ id: inquiryId, account_id: msg.accountId }).update({ forwarded_at: this.deps.clock.now() });
  }

  close(): void {
    this.transport?.close();
  }
}
