import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type { Config, MailConfig } from '../../config.js';
import type { Controller } from '../../http/route.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { Inquiries } from '../inquiries/create-inquiries.js';
import type { OutboxHandler } from '../outbox/outbox-handler.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import { STANDARD_WEBHOOKS_POLICY } from '../outbox/retry-policy.js';
import { EmailController } from './email-controller.js';
import { PgEmailAliasStore } from './email-alias-store.js';
import { EmailIntake } from './email-intake.js';
import { MailForwarder } from './mail-forwarder.js';
import { RawMailRetention } from './raw-mail-retention.js';
import { SmtpListener } from './smtp-listener.js';

export interface EmailTracking {
  readonly intake: EmailIntake;
  readonly controllers: readonly Controller[];
  /** Forwards tracked mail to the business: register it with the outbox worker. */
  readonly forwarder: OutboxHandler;
  /** Deletes raw messages past their site's retention (a scheduled job). */
  readonly rawMailRetention: RawMailRetention;
  /** Starts the SMTP listener when MAIL_SMTP_PORT is set; its address, or null. */
  start(): Promise<AddressInfo | null>;
  stop(): Promise<void>;
}

const NO_MAIL: MailConfig = {
  smtp: null,
  maxBytes: 10 * 1024 * 1024,
  relayUrl: null,
  bounceAddress: null,
  mailgunSigningKey: null,
  postmark: null,
  sendgridPublicKey: null,
};

/** Email tracking: aliases the widget shows, inbound mail (provider webhooks, SMTP), forwarding through the outbox. */
export function createEmailTracking(deps: {
  config: Config;
  db: Knex;
  stores: { outbox: OutboxStore };
  inquiries: Inquiries;
  clock: Clock;
  logger: Logger;
  wake: () => void;
}): EmailTracking {
  const cfg = deps.config.mail ?? NO_MAIL;
  const { db, clock } = deps;
  const aliases = new PgEmailAliasStore();
  const intake = new EmailIntake({
    db,
    aliases,
    intake: deps.inquiries.intake,
    inquiries: deps.inquiries.service,
    outbox: deps.stores.outbox,
    clock,
    logger: deps.logger,
    wake: deps.wake,
  });
  // The widget module shows this visit's alias: its channel's (static), or one leased from the site's pool.
  deps.inquiries.intake.emailAlias = async (site, settings, sessionId) => {
    const domain = settings.email.domain;
    if (!domain) return null;
    const visit = sessionId
      ? ((await db('web_sessions').where({ id: sessionId, site_id: site.id }).first('channel_id')) as { channel_id: string | null } | undefined)
      : undefined;
    const channelId = visit?.channel_id ?? null;
    if (settings.email.mode === 'session' && sessionId) {
      return db.transaction((trx) =>
        aliases.leaseForSession(trx, {
          accountId: site.accountId,
          siteId: site.id,
          sessionId,
          channelId,
          domain,
          poolSize: settings.email.poolSize,
          now: clock.now(),
        }),
      );
    }
    return aliases.forChannel(db, { accountId: site.accountId, siteId: site.id, channelId, domain });
  };
  const forwarder = new MailForwarder(
    { db, relayUrl: cfg.relayUrl, bounceAddress: cfg.bounceAddress, clock, logger: deps.logger },
    STANDARD_WEBHOOKS_POLICY,
  );
  const smtp = cfg.smtp
    ? new SmtpListener({ intake, logger: deps.logger, port: cfg.smtp.port, host: cfg.smtp.host, maxBytes: cfg.maxBytes, tls: cfg.smtp.tls })
    : null;
  return {
    intake,
    controllers: [new EmailController(intake, cfg, { db, clock })],
    forwarder,
    rawMailRetention: new RawMailRetention({ db, clock }),
    start: async () => (smtp ? smtp.start() : null),
    stop: async () => {
      await smtp?.stop();
      forwarder.close();
    },
  };
}
