import type { Knex } from 'knex';
import { signInquiry } from '../../src/features/inquiries/inquiry-signature.js';
import { newId } from '../../src/shared/ids.js';
import type { TestGateway } from './gateway.js';

export const POSTMARK_LOGIN = { user: 'postmark', password: 'console-inbound-secret' };

/**
 * One inquiry of each kind besides calls, through the public endpoints: a signed form (with a card field the
 * gateway must mask), a callback placed through the Twilio stand-in and then answered and recorded, and an email
 * through the Postmark inbound webhook. Each is attributed to a visit of the site that has a channel.
 */
export async function seedInquiryKinds(
  gw: TestGateway,
  db: Knex,
  site: { id: string; publicKey: string },
): Promise<{ formId: string; callbackId: string; callbackCallId: string; emailId: string }> {
  const settings = await gw.api(`/v1/sites/${site.id}/inquiry-settings`, {
    method: 'PATCH',
    json: {
      forms: { enabled: true },
      callback: { enabled: true, provider: 'twilio', businessNumber: '+14155550100', callerId: '+14155550111', hours: [] },
      email: { enabled: true, canonical: 'hello@demo.example', forwardTo: 'sales@demo.example', domain: 'track.demo.example', mode: 'channel' },
    },
  });
  if (settings.status !== 200) throw new Error(`inquiry settings: ${settings.status} ${await settings.text()}`);
  const { signingSecret } = (await settings.json()) as { signingSecret: string };
  const visit = (await db('web_sessions').where({ site_id: site.id }).whereNotNull('channel_id').orderBy('last_seen_at', 'desc').first('id')) as
    | { id: string }
    | undefined;
  const signed = async (body: Record<string, unknown>) => {
    const raw = JSON.stringify({ ...body, ...(visit ? { sessionId: visit.id } : {}) });
    const ts = Math.floor(Date.now() / 1000);
    const r = await fetch(`${gw.baseUrl}/v1/sites/${site.id}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dni-timestamp': String(ts), 'x-dni-signature': signInquiry(signingSecret, ts, raw) },
      body: raw,
    });
    if (r.status !== 201) throw new Error(`inquiry: ${r.status} ${await r.text()}`);
    return (await r.json()) as { id: string; status: string };
  };
  const form = await signed({
    externalId: 'console-form-1',
    name: 'Anna Petrova',
    phone: '+1 415 555 0142',
    email: 'anna@example.com',
    subject: 'Quote request',
    message: 'Do you deliver on weekends?\nThe sofa is for a third-floor flat.',
    fields: { company: 'Petrova Design', budget: '5000', card_number: '4111 1111 1111 1111' },
    pageUrl: 'http://localhost/contact',
  });

  const callback = await signed({ externalId: 'console-callback-1', kind: 'callback', name: 'Boris', phone: '+1 415 555 0199' });
  const call = (await db('inquiries as i')
    .join('calls as c', 'c.id', 'i.call_id')
    .where('i.id', callback.id)
    .first('c.id', 'c.provider_call_id')) as {
    id: string;
    provider_call_id: string;
  };
  if (!call) throw new Error(`the callback was not placed (${callback.status})`);
  const sid = call.provider_call_id;
  const at = Date.now();
  await gw.container.services.calls.apply({
    provider: 'twilio',
    providerCallId: sid,
    type: 'call.answered',
    eventKey: `${sid}:answered`,
    occurredAt: new Date(at + 6_000),
    answeredBy: 'human',
  });
  await gw.container.services.calls.apply({
    provider: 'twilio',
    providerCallId: sid,
    type: 'call.ended',
    eventKey: `${sid}:ended`,
    occurredAt: new Date(at + 96_000),
    outcome: 'completed',
  });
  // The callback's recording: the stored bytes of the demo's recording, as if Twilio had delivered them for it.
  const stored = (await db('recordings').where({ status: 'stored' }).first()) as Record<string, unknown> | undefined;
  if (stored) await db('recordings').insert({ ...stored, id: newId(), call_id: call.id, provider_ref: `RE${newId()}` });

  const q = visit ? `?session=${encodeURIComponent(visit.id)}` : '';
  const config = (await fetch(`${gw.baseUrl}/v1/sites/${site.publicKey}/inquiry-config${q}`, { headers: { origin: 'http://localhost:3000' } }).then(
    (r) => r.json(),
  )) as { email: { alias: string } | null };
  const alias = config.email?.alias;
  if (!alias) throw new Error('no email alias');
  const mail = await fetch(`${gw.baseUrl}/v1/inbound-mail/postmark`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${POSTMARK_LOGIN.user}:${POSTMARK_LOGIN.password}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      FromFull: { Email: 'vera@customer.example', Name: 'Vera Sokolova' },
      To: alias,
      ToFull: [{ Email: alias }],
      OriginalRecipient: alias,
      Subject: 'Delivery to Kazan',
      MessageID: 'console-pm-1',
      TextBody: 'Hello,\n\nwhen can you deliver the corner sofa to Kazan?\n\nVera',
      Headers: [{ Name: 'Message-ID', Value: '<console-pm-1@customer.example>' }],
      Attachments: [],
    }),
  });
  if (mail.status !== 200) throw new Error(`postmark: ${mail.status} ${await mail.text()}`);
  const email = (await db('inquiries').where({ kind: 'email', alias }).first('id')) as { id: string };
  return { formId: form.id, callbackId: callback.id, callbackCallId: call.id, emailId: email.id };
}
