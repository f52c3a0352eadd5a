import type { Knex } from 'knex';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { InquiryIntake } from '../inquiries/inquiry-intake.js';
import type { InquiryService } from '../inquiries/inquiry-service.js';
import type { InquirySettings } from '../inquiries/inquiry-settings.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import type { Site } from '../sites/site-types.js';
import type { PgEmailAliasStore } from './email-alias-store.js';
import type { InboundMail } from './inbound-mail.js';

export const MAIL_FORWARD_TOPIC = 'mail.forward';

export type MailOutcome = { readonly status: 'stored' | 'duplicate'; readonly inquiryId: string } | { readonly status: 'unknown_recipient' };

/**
 * Mail to a tracked alias, from any door (provider webhook or our SMTP listener): recorded as an email inquiry
 * attributed to the alias's visit or channel, joined to the sender's lead, and queued for forwarding to the business
 * (the outbox retries the relay until it takes the message).
 */
export class EmailIntake {
  constructor(
    private readonly deps: {
      db: Knex;
      aliases: PgEmailAliasStore;
      intake: InquiryIntake;
      inquiries: InquiryService;
      outbox: OutboxStore;
      clock: Clock;
      logger: Logger;
      wake: () => void;
    },
  ) {}

  /** Whether an address is one of ours (the SMTP listener refuses other recipients at RCPT TO). */
  async isAlias(address: string): Promise<boolean> {
    return (await this.deps.aliases.find(this.deps.db, address)) !== null;
  }

  async receive(mail: InboundMail): Promise<MailOutcome> {
    let alias = null;
    for (const to of mail.to) {
      alias = await this.deps.aliases.find(this.deps.db, to);
      if (alias) break;
    }
    if (!alias) return { status: 'unknown_recipient' };
    const site: Site = await this.deps.intake.site(alias.siteId);
    const settings: InquirySettings = await this.deps.intake.settingsOf(site);
    const r = await this.deps.inquiries.record(site, settings, {
      kind: 'email',
      origin: mail.provider,
      // One message, one inquiry: a provider's retry or a second recipient alias is the same message.
      externalKey: mail.messageId ?? null,
      email: mail.from,
      name: mail.fromName,
      subject: mail.subject,
      message: mail.text,
      sessionId: alias.kind === 'session' ? alias.sessionId : null,
      channelId: alias.channelId,
      alias: alias.address,
    });
    if (r.outcome !== 'stored') return { status: 'unknown_recipient' };
    if (!r.created) return { status: 'duplicate', inquiryId: r.inquiry.id };
    const forwardTo = settings.email.forwardTo;
    if (forwardTo) {
      await this.deps.db.transaction(async (trx) => {
        await trx('inbound_mail')
          .insert({ inquiry_id: r.inquiry.id, account_id: site.accountId, raw: mail.raw, forward_to: forwardTo })
          .onConflict('inquiry_id')
          .ignore();
        await this.deps.outbox.enqueue(trx, {
          accountId: site.accountId,
          topic: MAIL_FORWARD_TOPIC,
          sinkId: null,
          aggregateId: r.inquiry.id,
          dedupeKey: `mail:${r.inquiry.id}`,
          payload: { inquiryId: r.inquiry.id },
        });
      });
      this.deps.wake();
    } else {
      this.deps.logger.warn({ siteId: site.id }, 'tracked email received but the site has no forwardTo address');
    }
    return { status: 'stored', inquiryId: r.inquiry.id };
  }
}
