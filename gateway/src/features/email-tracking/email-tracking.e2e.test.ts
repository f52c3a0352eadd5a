import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { SMTPServer } from 'smtp-server';
import { seedChannel, seedSession } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { ManualClock } from '../../shared/clock.js';
import { RawMailRetention } from './raw-mail-retention.js';

const MAILGUN_KEY = 'key-mailgun-signing-0001';
const PM = { user: 'postmark', password: 'inbound-secret-1' };
const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BUSINESS = 'sales@business.example';

/** A loopback SMTP server standing for the business's mailbox: it keeps each message's bytes as received. */
async function startMailbox() {
  const messages: { from: string; to: string[]; raw: Buffer }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as AddressInfo).port, messages, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const bodyOf = (raw: Buffer): Buffer => raw.subarray(raw.indexOf('\r\n\r\n') + 4);

describe('email tracking: aliases, provider webhooks, the SMTP listener, forwarding to the business', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let hook: StandIn;
  let mailbox: Awaited<ReturnType<typeof startMailbox>>;
  let alias: string;
  let sessionAlias: string;
  let channelId: string;
  let sessionId: string;
  let siteKey: string;
  let siteId: string;
  const sg = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sgPublic = sg.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

  const smtpClient = () => nodemailer.createTransport({ host: '127.0.0.1', port: gw.container.smtpAddress()!.port, secure: false, ignoreTLS: true });
  const rows = async (where: Record<string, unknown>) =>
    (await t.db.knex('inquiries').where({ kind: 'email', ...where })) as Record<string, unknown>[];

  before(async () => {
    mailbox = await startMailbox();
    hook = await startStandIn(() => ({ status: 204 }));
    const base = createTestConfig();
    gw = await startTestGateway(t.db, {
      config: {
        ...base,
        mail: {
          smtp: { port: 0, host: '127.0.0.1', tls: null },
          maxBytes: 200_000,
          relayUrl: `smtp://127.0.0.1:${mailbox.port}`,
          bounceAddress: 'bounces@gw.example',
          mailgunSigningKey: MAILGUN_KEY,
          postmark: PM,
          sendgridPublicKey: sgPublic,
        },
      },
    });
    const res = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', domains: ['shop.example'] } });
    const site = (await res.json()) as { id: string; publicKey: string };
    siteKey = site.publicKey;
    siteId = site.id;
    channelId = await seedChannel(t.db.knex, gw.accountId, site.id, 'Yandex Direct');
    ({ sessionId } = await seedSession(t.db.knex, gw.accountId, site.id, { channelId, utmSource: 'yandex' }));
    const patch = await gw.api(`/v1/sites/${site.id}/inquiry-settings`, {
      method: 'PATCH',
      json: { email: { enabled: true, canonical: 'hello@shop.example', forwardTo: BUSINESS, domain: 'track.example', mode: 'channel' } },
    });
    expect(patch.status).to.equal(200);
    const sink = {
      kind: 'webhook',
      name: 'Hook',
      config: { url: `${hook.url}/hook` },
      secrets: { secret: HOOK_SECRET },
      deliverOn: ['call.started'],
    };
    expect((await gw.api(`/v1/sites/${site.id}/crm-sinks`, { method: 'POST', json: sink })).status).to.equal(201);
    const cfg = (await fetch(`${gw.baseUrl}/v1/sites/${siteKey}/inquiry-config?session=${sessionId}`, {
      headers: { origin: 'https://shop.example' },
    }).then((r) => r.json())) as { email: { canonical: string; alias: string } };
    expect(cfg.email.canonical).to.equal('hello@shop.example');
    expect(cfg.email.alias).to.match(/^[0-9a-f]{10}@track\.example$/);
    alias = cfg.email.alias;
    // The same channel gets the same alias; session mode leases one per visit.
    const again = (await fetch(`${gw.baseUrl}/v1/sites/${siteKey}/inquiry-config?session=${sessionId}`).then((r) => r.json())) as typeof cfg;
    expect(again.email.alias).to.equal(alias);
    await gw.api(`/v1/sites/${site.id}/inquiry-settings`, { method: 'PATCH', json: { email: { mode: 'session', poolSize: 2 } } });
    const s2 = await seedSession(t.db.knex, gw.accountId, site.id, { channelId });
    sessionAlias = ((await fetch(`${gw.baseUrl}/v1/sites/${siteKey}/inquiry-config?session=${s2.sessionId}`).then((r) => r.json())) as typeof cfg)
      .email.alias;
    expect(sessionAlias).to.not.equal(alias);
    const row = (await t.db.knex('email_aliases').where({ address: sessionAlias }).first()) as { session_id: string; kind: string };
    expect(row).to.include({ session_id: s2.sessionId, kind: 'session' });
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([mailbox?.close(), hook?.close()]);
  });

  it('takes mail over SMTP (a real client), attributes it to the alias, forwards the exact bytes to the business', async () => {
    const raw = await new MailComposer({
      from: 'Anna Petrova <anna@customer.example>',
      to: alias,
      subject: 'Диван на заказ',
      messageId: '<m1@customer.example>',
      text: 'Здравствуйте!\r\n.\r\nA line that starts with a dot, and a long one: '.concat('x'.repeat(300)),
      attachments: [{ filename: 'plan.pdf', content: Buffer.from('%PDF-1.4 fake') }],
    })
      .compile()
      .build();
    await smtpClient().sendMail({ envelope: { from: 'anna@customer.example', to: [alias] }, raw });
    await waitUntil(async () => (await rows({ alias })).length === 1, 10_000, 'the email inquiry');
    const [row] = await rows({ alias });
    expect(row).to.include({
      origin: 'smtp',
      email: 'anna@customer.example',
      name: 'Anna Petrova',
      subject: 'Диван на заказ',
      channel_id: channelId,
    });
    expect(row!.lead_id).to.be.a('string');
    await waitUntil(() => mailbox.messages.length === 1, 15_000, 'the forwarded copy');
    const got = mailbox.messages[0]!;
    expect(got.to).to.deep.equal([BUSINESS]);
    expect(got.from).to.equal('bounces@gw.example');
    expect(bodyOf(got.raw).equals(bodyOf(raw)), 'body byte for byte').to.equal(true);
    expect(got.raw.equals(raw), 'headers as sent too').to.equal(true);
    await waitUntil(
      async () => ((await t.db.knex('inquiries').where({ id: row!.id }).first()) as { forwarded_at: Date | null }).forwarded_at !== null,
      10_000,
      'forwarded_at',
    );
    // The CRM gets it as an email inquiry of the alias's channel.
    await waitUntil(
      () => hook.requests.some((r) => (JSON.parse(r.body) as { data: { inquiry_id: string } }).data.inquiry_id === row!.id),
      10_000,
      'the CRM event',
    );
    const event = hook.requests
      .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> })
      .find((e) => e.data.inquiry_id === row!.id)!;
    expect(event.type).to.equal('inquiry.created');
    expect(event.data).to.include({ kind: 'email', email: 'anna@customer.example', alias });
  });

  it('refuses other recipients at RCPT TO and messages over the size limit, storing nothing', async () => {
    const n = (await rows({})).length;
    const err = await smtpClient()
      .sendMail({ from: 'x@customer.example', to: 'nobody@track.example', text: 'hi' })
      .then(
        () => null,
        (e: { responseCode?: number }) => e,
      );
    expect(err?.responseCode).to.equal(550);
    const big = await smtpClient()
      .sendMail({ from: 'x@customer.example', to: alias, text: 'y'.repeat(300_000) })
      .then(
        () => null,
        (e: { responseCode?: number }) => e,
      );
    expect(big?.responseCode).to.equal(552);
    expect((await rows({})).length).to.equal(n);
  });

  it('Mailgun: a signed route post is stored once; a bad signature is 401 and a replayed token changes nothing', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const token = 'a'.repeat(50);
    const signature = createHmac('sha256', MAILGUN_KEY)
      .update(ts + token)
      .digest('hex');
    const form = {
      recipient: sessionAlias,
      sender: 'boris@customer.example',
      from: 'Boris <boris@customer.example>',
      subject: 'Quote',
      'body-plain': 'Please send a quote',
      'message-headers': JSON.stringify([
        ['Message-Id', '<mg1@customer.example>'],
        ['Date', 'Tue, 01 Dec 2026 10:00:00 +0000'],
      ]),
      timestamp: ts,
      token,
      signature,
    };
    const post = (f: Record<string, string>) => fetch(`${gw.baseUrl}/v1/inbound-mail/mailgun`, { method: 'POST', body: new URLSearchParams(f) });
    const bad = await post({ ...form, signature: '0'.repeat(64) });
    expect(bad.status).to.equal(401);
    const good = await post(form);
    expect(good.status).to.equal(200);
    expect(((await good.json()) as { status: string }).status).to.equal('stored');
    expect(((await (await post(form)).json()) as { status: string }).status).to.equal('duplicate');
    const [row] = await rows({ origin: 'mailgun' });
    expect(row).to.include({ email: 'boris@customer.example', subject: 'Quote', alias: sessionAlias });
    expect(row!.session_id, 'a session alias names its visit').to.be.a('string');
    await waitUntil(() => mailbox.messages.some((m) => m.raw.includes('mg1@customer.example')), 15_000, 'the forwarded Mailgun copy');
    const copy = mailbox.messages.find((m) => m.raw.includes('mg1@customer.example'))!.raw.toString('utf8');
    expect(copy).to.match(/^Reply-To: Boris <boris@customer\.example>/m);
    expect(copy).to.include('Please send a quote');
  });

  it('Postmark: basic auth from the webhook URL; the JSON becomes a message with the sender’s headers', async () => {
    const body = {
      FromFull: { Email: 'vera@customer.example', Name: 'Vera' },
      To: alias,
      ToFull: [{ Email: alias }],
      OriginalRecipient: alias,
      Subject: 'Delivery',
      MessageID: 'pm-1',
      TextBody: 'When can you deliver?',
      Headers: [{ Name: 'Message-ID', Value: '<pm1@customer.example>' }],
      Attachments: [],
    };
    const auth = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const post = (a: string, b: unknown = body) =>
      fetch(`${gw.baseUrl}/v1/inbound-mail/postmark`, {
        method: 'POST',
        headers: { authorization: a, 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
    expect((await post(auth(PM.user, 'wrong-password'))).status).to.equal(401);
    expect((await post(auth(PM.user, PM.password), { Subject: 'no sender' })).status).to.equal(400);
    const ok = await post(auth(PM.user, PM.password));
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as { status: string }).status).to.equal('stored');
    expect(((await (await post(auth(PM.user, PM.password))).json()) as { status: string }).status, 'same Message-ID').to.equal('duplicate');
    const [row] = await rows({ origin: 'postmark' });
    expect(row).to.include({ email: 'vera@customer.example', name: 'Vera', channel_id: channelId });
  });

  it('SendGrid: the ECDSA-signed multipart post, parsed and raw; a wrong signature is 401; garbage is 400', async () => {
    const boundary = 'xYzZY';
    const multipart = (fields: Record<string, string>) =>
      Buffer.from(
        `${Object.entries(fields)
          .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
          .join('')}--${boundary}--\r\n`,
      );
    const send = (raw: Buffer, sigFor: Buffer = raw) => {
      const ts = String(Math.floor(Date.now() / 1000));
      const signer = createSign('sha256');
      signer.update(ts);
      signer.update(sigFor);
      return fetch(`${gw.baseUrl}/v1/inbound-mail/sendgrid`, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'x-twilio-email-event-webhook-signature': signer.sign(sg.privateKey).toString('base64'),
          'x-twilio-email-event-webhook-timestamp': ts,
        },
        body: new Uint8Array(raw),
      });
    };
    const parsed = multipart({
      headers: 'Message-ID: <sg1@customer.example>\r\nFrom: Gleb <gleb@customer.example>\r\nSubject: Sizes',
      from: 'Gleb <gleb@customer.example>',
      to: alias,
      subject: 'Sizes',
      text: 'Which sizes?',
      envelope: JSON.stringify({ to: [alias], from: 'gleb@customer.example' }),
    });
    expect((await send(parsed, Buffer.from('something else'))).status).to.equal(401);
    const r1 = await send(parsed);
    expect(r1.status, await r1.clone().text()).to.equal(200);
    const mime = 'Message-ID: <sg2@customer.example>\r\nFrom: dina@customer.example\r\nTo: ' + alias + '\r\nSubject: Raw\r\n\r\nRaw body\r\n';
    const r2 = await send(
      multipart({ email: mime, from: 'dina@customer.example', to: alias, envelope: JSON.stringify({ to: [alias], from: 'dina@customer.example' }) }),
    );
    expect(r2.status).to.equal(200);
    const got = await rows({ origin: 'sendgrid' });
    expect(got.map((r) => r.email).sort()).to.deep.equal(['dina@customer.example', 'gleb@customer.example']);
    await waitUntil(() => mailbox.messages.some((m) => m.raw.toString('utf8') === mime), 15_000, 'the raw SendGrid message forwarded as it came');
    const garbage = await send(Buffer.from('not multipart at all'));
    expect(garbage.status).to.equal(400);
  });

  it("deletes raw messages past the site's retention, counted from forwarding; unforwarded ones and the inquiries stay", async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const day = 86_400_000;
    const stored = (await t.db.knex('inbound_mail').select('inquiry_id')).map((r: { inquiry_id: string }) => r.inquiry_id);
    expect(stored.length, 'messages from the tests above').to.be.at.least(3);
    const [old, recent, waiting] = stored as [string, string, string];
    const set = (id: string, forwardedAt: Date | null) => t.db.knex('inquiries').where({ id }).update({ forwarded_at: forwardedAt });
    for (const id of stored) await set(id, new Date(now.getTime() - day));
    await set(old, new Date(now.getTime() - 31 * day));
    await set(recent, new Date(now.getTime() - 29 * day));
    await set(waiting, null);
    const kept = async () => (await t.db.knex('inbound_mail').select('inquiry_id')).map((r: { inquiry_id: string }) => r.inquiry_id);
    const retention = new RawMailRetention({ db: t.db.knex, clock: new ManualClock(now.getTime()) });
    // The default, 30 days: only the message forwarded 31 days ago goes.
    expect(await retention.purge()).to.equal(1);
    expect(await kept()).to.have.members(stored.filter((id) => id !== old));
    expect(await t.db.knex('inquiries').where({ id: old }).first('subject'), 'the inquiry itself stays').to.not.equal(undefined);
    // null keeps raw mail however old.
    const patch = (days: number | null) =>
      gw.api(`/v1/sites/${siteId}/inquiry-settings`, { method: 'PATCH', json: { email: { rawMailRetentionDays: days } } });
    expect((await patch(null)).status).to.equal(200);
    await set(recent, new Date(now.getTime() - 400 * day));
    expect(await retention.purge()).to.equal(0);
    // 0: every forwarded message goes at the next pass; the one not forwarded yet is still there for the outbox.
    expect((await patch(0)).status).to.equal(200);
    await t.db
      .knex('inquiries')
      .where({ id: waiting })
      .update({ received_at: new Date(now.getTime() - 400 * day) });
    expect(await retention.purge()).to.equal(stored.length - 2);
    expect(await kept()).to.deep.equal([waiting]);
    expect((await patch(-1)).status, 'a negative retention is refused').to.equal(400);
  });
});
