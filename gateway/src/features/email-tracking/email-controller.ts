import type { Request } from 'express';
import { BadDataError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../../errors/app-error.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { DbOrTrx } from '../../adapters/db/knex.js';
import { claimSignature } from '../inquiries/inquiry-signature.js';
import type { MailConfig } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import type { EmailIntake } from './email-intake.js';
import {
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  fromMailgun,
  fromPostmark,
  fromSendgrid,
  parseForm,
  verifyMailgun,
  verifyPostmark,
  verifySendgrid,
} from './inbound-mail.js';

const resultSchema = {
  $id: 'InboundMailResult',
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: ['stored', 'duplicate', 'unknown_recipient'] }, inquiryId: { type: 'string' } },
} as const;

function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new PayloadTooLargeError(`The message is larger than ${maxBytes} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const responses = {
  200: { description: 'Taken (stored, a repeat of a stored message, or for no alias of ours)', schema: resultSchema },
  400: { description: 'Not a payload of this provider' },
  401: { description: 'Signature or credentials wrong' },
  413: { description: 'Larger than MAIL_MAX_BYTES' },
  // Mailgun and Postmark retry a 404 as they would a 5xx; SendGrid retries only 5xx, so it gets 503.
  404: { description: 'This provider (Mailgun, Postmark) is not configured' },
  503: { description: 'SendGrid is not configured (SendGrid retries only 5xx answers)' },
} as const;

/** Inbound-parse webhooks of Mailgun, Postmark and SendGrid: each checked the way its provider signs it. */
export class EmailController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(intake: EmailIntake, cfg: MailConfig, deps: { db: DbOrTrx; clock: Clock }) {
    const nowS = () => Math.floor(deps.clock.nowMs() / 1000);
    const ok = (r: Awaited<ReturnType<EmailIntake['receive']>>) => ({ status: 200, body: { ...r } });
    // Both Mailgun routes (parsed fields or raw MIME) carry the same form and signature.
    const mailgun = async ({ req }: { req: Request }) => {
      if (!cfg.mailgunSigningKey) throw new NotFoundError('MAILGUN_SIGNING_KEY is not set');
      const raw = await readBody(req, cfg.maxBytes);
      const parts = await parseForm(raw, String(req.headers['content-type'] ?? ''), cfg.maxBytes);
      verifyMailgun(cfg.mailgunSigningKey, parts.fields, nowS());
      // Mailgun: "cache the token and refuse a second use" (a replayed request carries the same one).
      if (!(await claimSignature(deps.db, `mailgun:${parts.fields.token}`, deps.clock.now()))) {
        return { status: 200, body: { status: 'duplicate' as const } };
      }
      return ok(await intake.receive(await fromMailgun(parts)));
    };
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/inbound-mail/mailgun',
          operationId: 'inboundMailgun',
          summary: 'Mailgun route "forward" target (fields or body-mime), signed with the webhook signing key',
          tags: ['inquiries'],
          auth: 'public',
          responses,
        },
        mailgun,
      ),
      route(
        {
          method: 'post',
          path: '/v1/inbound-mail/mailgun/mime',
          operationId: 'inboundMailgunMime',
          summary: 'The same, for routes that forward raw MIME (Mailgun sends body-mime to URLs ending in "mime")',
          tags: ['inquiries'],
          auth: 'public',
          responses,
        },
        mailgun,
      ),
      route(
        {
          method: 'post',
          path: '/v1/inbound-mail/postmark',
          operationId: 'inboundPostmark',
          summary: 'Postmark inbound webhook (JSON), with the basic-auth credentials of its URL',
          tags: ['inquiries'],
          auth: 'public',
          responses,
        },
        async ({ req }) => {
          if (!cfg.postmark) throw new NotFoundError('POSTMARK_INBOUND_USER/PASSWORD are not set');
          verifyPostmark(cfg.postmark, req.headers.authorization);
          const raw = await readBody(req, cfg.maxBytes);
          let body: unknown;
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new BadDataError('The body is not JSON');
          }
          return ok(await intake.receive(await fromPostmark(body)));
        },
      ),
      route(
        {
          method: 'post',
          path: '/v1/inbound-mail/sendgrid',
          operationId: 'inboundSendgrid',
          summary: 'SendGrid Inbound Parse (multipart; raw or parsed), ECDSA-signed by its security policy',
          tags: ['inquiries'],
          auth: 'public',
          responses,
        },
        async ({ req }) => {
          // SendGrid retries only 5xx answers (its Inbound Parse Webhook docs): a 4xx here would drop the mail.
          if (!cfg.sendgridPublicKey) throw new ServiceUnavailableError('SENDGRID_INBOUND_PUBLIC_KEY is not set');
          const raw = await readBody(req, cfg.maxBytes);
          const h = (n: string) => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined);
          const sig = h(SENDGRID_SIGNATURE_HEADER);
          const ts = h(SENDGRID_TIMESTAMP_HEADER);
          verifySendgrid(cfg.sendgridPublicKey, { ...(sig ? { signature: sig } : {}), ...(ts ? { timestamp: ts } : {}) }, raw, nowS());
          const parts = await parseForm(raw, String(req.headers['content-type'] ?? ''), cfg.maxBytes);
          return ok(await intake.receive(await fromSendgrid(parts)));
        },
      ),
    ];
  }
}
