import { createHmac, createPublicKey, createVerify, timingSafeEqual } from 'node:crypto';
import Busboy from 'busboy';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { BadDataError, UnauthorizedError } from '../../errors/app-error.js';

/** A message to a tracked alias as any door delivered it: recipients, sender, and the exact MIME bytes. */
export interface InboundMail {
  readonly provider: 'mailgun' | 'postmark' | 'sendgrid' | 'smtp';
  /** Envelope recipients (lower-cased addresses). */
  readonly to: readonly string[];
  readonly from: string;
  readonly fromName: string | null;
  readonly subject: string | null;
  readonly text: string | null;
  readonly messageId: string | null;
  /** The message as it came (SMTP, Mailgun `body-mime`, SendGrid `email` with send_raw), or rebuilt from the provider's parsed fields. */
  readonly raw: Buffer;
}

const addr = (s: string): string[] => [...s.matchAll(/[^\s<>,;"']+@[^\s<>,;"']+/g)].map((m) => m[0].toLowerCase().replace(/^mailto:/, ''));

const clean = (s: string | undefined | null): string | null => (s?.trim() ? s.trim() : null);

/** "Anna <anna@example.com>" → name and address. */
export function parseFrom(v: string): { email: string; name: string | null } {
  const email = addr(v)[0] ?? '';
  const name = clean(
    v
      .replace(/<[^>]*>/, '')
      .replace(/"/g, '')
      .replace(email, ''),
  );
  return { email, name };
}

// ------------------------------------------------------------------------------------------------------------
// Signatures, each as its provider documents it.

/** Mailgun: hex HMAC-SHA256(signing key, timestamp + token) in `signature`; timestamp within `windowS`. */
export function verifyMailgun(key: string, f: { timestamp?: string; token?: string; signature?: string }, nowS: number, windowS = 900): void {
  if (!f.timestamp || !f.token || !f.signature) throw new UnauthorizedError('Mailgun timestamp, token and signature are required');
  if (!/^\d+$/.test(f.timestamp) || Math.abs(nowS - Number(f.timestamp)) > windowS)
    throw new UnauthorizedError('Mailgun timestamp outside the window');
  const expected = Buffer.from(
    createHmac('sha256', key)
      .update(f.timestamp + f.token)
      .digest('hex'),
  );
  const got = Buffer.from(f.signature);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new UnauthorizedError('Bad Mailgun signature');
}

/** Postmark: the credentials put in the inbound webhook URL arrive as HTTP basic auth. */
export function verifyPostmark(expected: { user: string; password: string }, authorization: string | undefined): void {
  const m = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) throw new UnauthorizedError('Postmark basic auth is required');
  const got = Buffer.from(Buffer.from(m[1]!, 'base64').toString('utf8'));
  const want = Buffer.from(`${expected.user}:${expected.password}`);
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new UnauthorizedError('Bad Postmark credentials');
}

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * SendGrid Parse webhook with a signature security policy: ECDSA (P-256, SHA-256) over timestamp + raw body, base64
 * in X-Twilio-Email-Event-Webhook-Signature, checked with the policy's public key (base64 DER SubjectPublicKeyInfo).
 */
export function verifySendgrid(publicKey: string, h: { signature?: string; timestamp?: string }, raw: Buffer, nowS: number, windowS = 900): void {
  if (!h.signature || !h.timestamp) throw new UnauthorizedError('SendGrid signature headers are required');
  if (!/^\d+$/.test(h.timestamp) || Math.abs(nowS - Number(h.timestamp)) > windowS)
    throw new UnauthorizedError('SendGrid timestamp outside the window');
  const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
  const v = createVerify('sha256');
  v.update(h.timestamp);
  v.update(raw);
  if (!v.verify(key, Buffer.from(h.signature, 'base64'))) throw new UnauthorizedError('Bad SendGrid signature');
}

// ------------------------------------------------------------------------------------------------------------
// Bodies.

export interface FormParts {
  readonly fields: Record<string, string>;
  readonly files: { field: string; filename: string; contentType: string; content: Buffer }[];
}

/** multipart/form-data or urlencoded, from the buffered body (busboy: the maintained streaming parser). */
export function parseForm(raw: Buffer, contentType: string, maxBytes: number): Promise<FormParts> {
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    return Promise.resolve({ fields: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))), files: [] });
  }
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const files: FormParts['files'] = [];
    let bb: ReturnType<typeof Busboy>;
    try {
      bb = Busboy({ headers: { 'content-type': contentType }, limits: { fileSize: maxBytes, fieldSize: maxBytes, files: 100, fields: 500 } });
    } catch {
      reject(new BadDataError('The body is not multipart/form-data'));
      return;
    }
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () =>
        files.push({
          field,
          filename: info.filename ?? 'attachment',
          contentType: info.mimeType ?? 'application/octet-stream',
          content: Buffer.concat(chunks),
        }),
      );
    });
    bb.on('error', () => reject(new BadDataError('Malformed multipart body')));
    bb.on('close', () => resolve({ fields, files }));
    bb.end(raw);
  });
}

async function compose(o: {
  headers: [string, string][];
  from: string;
  to: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: { filename: string; contentType: string; content: Buffer }[];
}): Promise<Buffer> {
  // Only the provider's parsed fields are left: a message with the sender's own headers (From, Date, Message-ID,
  // References...) and a Reply-To of the sender, so the business's reply reaches them.
  const skip = /^(content-type|content-transfer-encoding|mime-version|from|to|subject|reply-to)$/i;
  const mail = new MailComposer({
    from: o.from,
    to: o.to,
    replyTo: o.from,
    subject: o.subject ?? '',
    ...(o.text !== null ? { text: o.text } : {}),
    ...(o.html !== null ? { html: o.html } : {}),
    attachments: o.attachments,
    headers: o.headers.filter(([k]) => !skip.test(k)).map(([key, value]) => ({ key, value })),
  }).compile();
  mail.keepBcc = false;
  return mail.build();
}

/** Mailgun inbound route ("forward" to our URL): parsed fields, or `body-mime` when the URL asks for MIME. */
export async function fromMailgun(p: FormParts): Promise<InboundMail> {
  const f = p.fields;
  const from = parseFrom(f.from ?? f.sender ?? '');
  if (!from.email || !f.recipient) throw new BadDataError('Mailgun payload without sender or recipient');
  let headers: [string, string][] = [];
  try {
    headers = JSON.parse(f['message-headers'] ?? '[]') as [string, string][];
  } catch {
    headers = [];
  }
  const raw = f['body-mime']
    ? Buffer.from(f['body-mime'], 'utf8')
    : await compose({
        headers,
        from: f.from ?? from.email,
        to: f.To ?? f.recipient,
        subject: clean(f.subject),
        text: f['body-plain'] ?? null,
        html: f['body-html'] ?? null,
        attachments: p.files.map((x) => ({ filename: x.filename, contentType: x.contentType, content: x.content })),
      });
  const mid = headers.find(([k]) => /^message-id$/i.test(k))?.[1] ?? f['Message-Id'] ?? null;
  return {
    provider: 'mailgun',
    to: addr(f.recipient),
    from: from.email,
    fromName: from.name,
    subject: clean(f.subject),
    text: f['body-plain'] ?? null,
    messageId: mid,
    raw,
  };
}

interface PostmarkBody {
  FromFull?: { Email?: string; Name?: string };
  From?: string;
  To?: string;
  ToFull?: { Email?: string }[];
  OriginalRecipient?: string;
  Subject?: string;
  MessageID?: string;
  TextBody?: string;
  HtmlBody?: string;
  Headers?: { Name: string; Value: string }[];
  Attachments?: { Name?: string; Content?: string; ContentType?: string }[];
}

/** Postmark inbound webhook JSON (no raw MIME): rebuilt with the original headers. */
export async function fromPostmark(body: unknown): Promise<InboundMail> {
  const b = (body ?? {}) as PostmarkBody;
  const fromEmail = (b.FromFull?.Email ?? parseFrom(b.From ?? '').email).toLowerCase();
  const to = [b.OriginalRecipient, ...(b.ToFull ?? []).map((x) => x.Email), b.To].filter((x): x is string => !!x).flatMap(addr);
  if (!fromEmail || !to.length) throw new BadDataError('Postmark payload without sender or recipient');
  const headers: [string, string][] = (b.Headers ?? []).map((h) => [String(h.Name), String(h.Value)]);
  const messageId = headers.find(([k]) => /^message-id$/i.test(k))?.[1] ?? (b.MessageID ? `<${b.MessageID}>` : null);
  const fromName = clean(b.FromFull?.Name);
  const raw = await compose({
    headers: messageId && !headers.some(([k]) => /^message-id$/i.test(k)) ? [...headers, ['Message-ID', messageId]] : headers,
    from: fromName ? `"${fromName.replace(/"/g, '')}" <${fromEmail}>` : fromEmail,
    to: b.To ?? to[0]!,
    subject: clean(b.Subject),
    text: b.TextBody ?? null,
    html: b.HtmlBody ?? null,
    attachments: (b.Attachments ?? []).map((a) => ({
      filename: a.Name ?? 'attachment',
      contentType: a.ContentType ?? 'application/octet-stream',
      content: Buffer.from(a.Content ?? '', 'base64'),
    })),
  });
  return {
    provider: 'postmark',
    to: [...new Set(to)],
    from: fromEmail,
    fromName,
    subject: clean(b.Subject),
    text: b.TextBody ?? null,
    messageId,
    raw,
  };
}

/** SendGrid Inbound Parse: `email` (raw MIME, "send raw") or parsed `headers`/`text`/`html`; `envelope` names the recipients. */
export async function fromSendgrid(p: FormParts): Promise<InboundMail> {
  const f = p.fields;
  let envelope: { to?: string[]; from?: string } = {};
  try {
    envelope = JSON.parse(f.envelope ?? '{}') as typeof envelope;
  } catch {
    envelope = {};
  }
  const from = parseFrom(f.from ?? envelope.from ?? '');
  const to = (envelope.to ?? []).flatMap(addr).concat(f.to ? addr(f.to) : []);
  if (!from.email || !to.length) throw new BadDataError('SendGrid payload without sender or recipient');
  const headerBlock = f.headers ?? (f.email ? f.email.split(/\r?\n\r?\n/)[0]! : '');
  // Unfold continuation lines, then one "Name: value" per line.
  const headers: [string, string][] = headerBlock
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .flatMap((line) => {
      const i = line.indexOf(':');
      return i > 0 ? [[line.slice(0, i).trim(), line.slice(i + 1).trim()] as [string, string]] : [];
    });
  const raw = f.email
    ? Buffer.from(f.email, 'utf8')
    : await compose({
        headers,
        from: f.from ?? from.email,
        to: f.to ?? to[0]!,
        subject: clean(f.subject),
        text: f.text ?? null,
        html: f.html ?? null,
        attachments: p.files.map((x) => ({ filename: x.filename, contentType: x.contentType, content: x.content })),
      });
  const messageId = headers.find(([k]) => /^message-id$/i.test(k))?.[1] ?? null;
  return {
    provider: 'sendgrid',
    to: [...new Set(to)],
    from: from.email,
    fromName: from.name,
    subject: clean(f.subject),
    text: f.text ?? null,
    messageId,
    raw,
  };
}
