import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';
import type { Logger } from '../../logging/logger.js';
import type { EmailIntake } from './email-intake.js';
import { parseFrom } from './inbound-mail.js';

/**
 * The gateway's own MX for tracked aliases (smtp-server: the maintained SMTP server of the nodemailer project).
 * Recipients that are not aliases are refused at RCPT TO, so it is never an open relay; SIZE is announced and
 * enforced; STARTTLS when a key and certificate are configured. The message's bytes are kept as received.
 */
export class SmtpListener {
  private server: SMTPServer | null = null;

  constructor(
    private readonly deps: {
      intake: EmailIntake;
      logger: Logger;
      port: number;
      host: string;
      maxBytes: number;
      tls: { key: string; cert: string } | null;
    },
  ) {}

  async start(): Promise<AddressInfo> {
    const { intake, logger, maxBytes } = this.deps;
    const options: SMTPServerOptions = {
      name: 'calltrack-gateway',
      banner: 'calltrack-gateway ESMTP',
      authOptional: true,
      disabledCommands: this.deps.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(this.deps.tls ? { key: this.deps.tls.key, cert: this.deps.tls.cert } : {}),
      size: maxBytes,
      logger: false,
      onRcptTo(address, _session, callback) {
        intake
          .isAlias(address.address)
          .then((ok) => callback(ok ? undefined : Object.assign(new Error('No such recipient here'), { responseCode: 550 })))
          .catch(() => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }));
            return;
          }
          const raw = Buffer.concat(chunks);
          simpleParser(raw)
            .then(async (parsed) => {
              const fromHeader = parsed.from?.text ?? '';
              const from = parseFrom(fromHeader).email || (session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '');
              const r = await intake.receive({
                provider: 'smtp',
                to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
                from,
                fromName: parsed.from?.value[0]?.name || null,
                subject: parsed.subject ?? null,
                text: parsed.text ?? null,
                messageId: parsed.messageId ?? null,
                raw,
              });
              callback(r.status === 'unknown_recipient' ? Object.assign(new Error('No such recipient'), { responseCode: 550 }) : null);
            })
            .catch((err: unknown) => {
              logger.warn({ err }, 'inbound SMTP message not stored');
              // Temporary: the sending server keeps the message and retries, nothing is lost.
              callback(Object.assign(new Error('Temporary failure, try again later'), { responseCode: 451 }));
            });
        });
      },
    };
    const server = new SMTPServer(options);
    server.on('error', (err) => logger.warn({ err }, 'SMTP listener error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.deps.port, this.deps.host, () => resolve());
    });
    return server.server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
