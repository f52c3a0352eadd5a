import type { Db } from '../adapters/db/knex.js';
import type { RecordingStorage } from '../adapters/storage/recording-storage.js';
import { callbackAttribution } from '../features/callbacks/callback-service.js';
import type { InquiryIntake } from '../features/inquiries/inquiry-intake.js';
import type { InquiryService } from '../features/inquiries/inquiry-service.js';
import { PgInquiryStore } from '../features/inquiries/inquiry-store.js';
import type { CallbackOutcome, Inquiry, InquirySubmission } from '../features/inquiries/inquiry-types.js';
import { newId } from '../shared/ids.js';
import { DEMO_RECORDING_SECONDS, storeDemoRecording } from './demo-recording.js';
import { VISITS, visitRows } from './demo-visits.js';
import type { Visit } from './demo-visits.js';

/**
 * The demo's forms, callback requests and emails. Each arrives on a visit of its own (a channel of the demo) and is
 * recorded by the inquiry service, as the widget, a signed backend or the mail webhooks hand them over: fields are
 * masked, the contact joins a caller's lead where one is open, an anonymous sender gets a lead of its own. A callback
 * then gets the call the callback service would have placed (no PBX is dialled), with its outcome and a recording.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BUSINESS = '+14155550199';
const channel = (name: string): Visit => VISITS.find((v) => v.channel === name) ?? VISITS[0]!;

interface DemoInquiry {
  /** How long before "now" it arrived. */
  readonly ago: number;
  readonly visit: Visit;
  readonly sub: Omit<InquirySubmission, 'origin' | 'receivedAt' | 'sessionId' | 'channelId'> & { origin: InquirySubmission['origin'] };
  /** Callbacks: how the placed call went. */
  readonly callback?: { outcome: CallbackOutcome; talk: number; callerId: string; recorded: boolean };
}

const INQUIRIES: readonly DemoInquiry[] = [
  {
    ago: 3 * HOUR,
    visit: channel('Google Ads'),
    sub: {
      kind: 'form',
      origin: 'widget',
      name: 'Megan Brooks',
      phone: '+1 415 555 0164',
      email: 'megan.brooks@example.com',
      subject: 'Quote request',
      message: 'The kitchen sink leaks under the cabinet.\nCan someone come on Thursday after 3 pm?',
      fields: { service: 'Leak repair', zip: '94110', preferred_time: 'Thursday, after 3 pm' },
      pageUrl: 'http://localhost/demo#contacts',
    },
  },
  {
    ago: 26 * HOUR,
    visit: channel('Google Ads'),
    sub: { kind: 'callback', origin: 'widget', name: 'Tom Becker', phone: '+1 650 555 0187', pageUrl: 'http://localhost/demo#prices' },
    callback: { outcome: 'visitor_answered', talk: DEMO_RECORDING_SECONDS, callerId: '+14155550100', recorded: true },
  },
  {
    ago: 2 * DAY + 5 * HOUR,
    visit: channel('Organic search'),
    sub: {
      kind: 'email',
      origin: 'postmark',
      externalKey: '<demo-mail-1@example.com>',
      name: 'Olivia Chen',
      email: 'olivia.chen@example.com',
      subject: 'Quote for a bathroom remodel',
      message:
        'Hello,\n\nwe are remodelling a small bathroom (about 5 m²) and need the shower, toilet and sink re-plumbed.\nCould you send a rough quote and your earliest free week?\n\nThanks,\nOlivia',
      alias: 'k7q2x9m4pd@track.example.com',
    },
  },
  {
    ago: 3 * DAY + 2 * HOUR,
    visit: channel('Yandex Direct'),
    sub: {
      kind: 'form',
      origin: 'widget',
      name: 'Ирина Смирнова',
      phone: '+7 916 555-12-34',
      email: 'irina.smirnova@example.ru',
      subject: 'Замена смесителя',
      message: 'Нужно заменить смеситель в ванной, новый смеситель уже купили.',
      fields: { район: 'Хамовники', 'удобное время': 'после 18:00' },
      pageUrl: 'http://localhost/demo#contacts',
    },
  },
  {
    ago: 4 * DAY + 7 * HOUR,
    visit: channel('Organic search'),
    sub: { kind: 'callback', origin: 'widget', name: 'Алексей', phone: '+7 903 555-44-21', pageUrl: 'http://localhost/demo' },
    callback: { outcome: 'visitor_answered', talk: 140, callerId: '+74951234567', recorded: false },
  },
  {
    ago: 5 * DAY + 4 * HOUR,
    visit: channel('Yandex Direct'),
    sub: {
      kind: 'email',
      origin: 'smtp',
      externalKey: '<demo-mail-2@example.ru>',
      name: 'Дмитрий Орлов',
      email: 'd.orlov@example.ru',
      subject: 'Счёт для юрлица',
      message: 'Добрый день!\n\nВыставьте, пожалуйста, счёт на ООО «Север» за обслуживание котельной в ноябре.\n\nДмитрий Орлов',
      alias: 'r3v8n2w6ts@track.example.com',
    },
  },
  {
    ago: 7 * DAY + 3 * HOUR,
    visit: channel('Facebook Ads'),
    sub: {
      kind: 'form',
      origin: 'server',
      externalKey: 'booking-20431',
      name: 'Daniel Kim',
      phone: '+1 408 555 0133',
      email: 'daniel.kim@example.com',
      subject: 'Online booking',
      message: 'Water heater replacement, 50 gallon.',
      // A booking form that also sent a card and an account password: the gateway masks both when it stores them.
      fields: { service: 'Water heater install', date: '2026-12-14', payment: '4242 4242 4242 4242', account_password: 'sunflower-77' },
      pageUrl: 'http://localhost/demo/booking',
    },
  },
  {
    ago: 9 * DAY + 6 * HOUR,
    visit: channel('Newsletter'),
    sub: { kind: 'callback', origin: 'widget', name: 'Sarah', phone: '+1 212 555 0148', pageUrl: 'http://localhost/demo#prices' },
    callback: { outcome: 'business_answered', talk: 0, callerId: '+14155550100', recorded: false },
  },
  {
    ago: 11 * DAY + 1 * HOUR,
    visit: channel('Organic search'),
    sub: {
      kind: 'email',
      origin: 'postmark',
      externalKey: '<demo-mail-3@northwind.example>',
      email: 'facilities@northwind.example',
      subject: 'Quarterly maintenance contract',
      message: 'Please tell us whether you take maintenance contracts for three office floors (12 restrooms).',
      alias: 'h5c1z8y3qa@track.example.com',
    },
  },
  {
    ago: 12 * DAY + 8 * HOUR,
    visit: channel('Google Ads'),
    sub: { kind: 'form', origin: 'widget', message: 'Do you work on Sundays?', pageUrl: 'http://localhost/demo' },
  },
];

export interface DemoInquiriesResult {
  readonly ids: readonly string[];
  /** A form and an email, for the demo's CRM history. */
  readonly forCrm: readonly { inquiryId: string; leadId: string | null }[];
}

export async function seedDemoInquiries(
  deps: { db: Db; storage: RecordingStorage; inquiries: { service: InquiryService; intake: InquiryIntake } },
  p: {
    accountId: string;
    siteId: string;
    channelIds: ReadonlyMap<string, string>;
    now: Date;
    /** The demo's calls: one form comes from a caller a few hours after their call, and joins that caller's lead. */
    calls: readonly { startedAt: Date; caller: string }[];
  },
): Promise<DemoInquiriesResult> {
  const { db } = deps;
  const site = await deps.inquiries.intake.site(p.siteId);
  const settings = await deps.inquiries.intake.settingsOf(site);
  const caller = p.calls.find(
    (c) => c.caller.startsWith('+1') && c.startedAt.getTime() < p.now.getTime() - 6 * DAY && c.startedAt.getTime() > p.now.getTime() - 8 * DAY,
  );
  const items: DemoInquiry[] = [...INQUIRIES];
  if (caller)
    items.push({
      ago: p.now.getTime() - caller.startedAt.getTime() - 2 * HOUR,
      visit: channel('Google Ads'),
      sub: {
        kind: 'form',
        origin: 'widget',
        name: 'Chris Walker',
        phone: caller.caller,
        subject: 'Photos of the leak',
        message: 'I called you earlier today; here is the address for the visit: 1450 Mission St, apt 5.',
        fields: { address: '1450 Mission St, apt 5' },
        pageUrl: 'http://localhost/demo#contacts',
      },
    });

  // The visits first (one multi-row insert each), then each inquiry through the service, oldest first.
  items.sort((a, b) => b.ago - a.ago);
  const visits = items.map((it, i) => {
    const at = new Date(p.now.getTime() - it.ago);
    return visitRows({
      accountId: p.accountId,
      siteId: p.siteId,
      channelIds: p.channelIds,
      visit: it.visit,
      firstSeen: new Date(at.getTime() - (3 + (i % 6)) * 60_000),
      lastSeen: at,
      mobile: i % 2 === 0,
    });
  });
  await db.batchInsert(
    'visitors',
    visits.map((v) => v.visitor),
    200,
  );
  await db.batchInsert(
    'web_sessions',
    visits.map((v) => v.session),
    200,
  );

  const store = new PgInquiryStore();
  const ids: string[] = [];
  const forCrm: { inquiryId: string; leadId: string | null }[] = [];
  for (const [i, it] of items.entries()) {
    const receivedAt = new Date(p.now.getTime() - it.ago);
    const r = await deps.inquiries.service.record(site, settings, { ...it.sub, sessionId: visits[i]!.sessionId, receivedAt }, {}, { deliver: false });
    if (r.outcome !== 'stored') continue;
    ids.push(r.inquiry.id);
    if (it.callback) await placedCallback(deps, store, r.inquiry, it.callback, p.now);
    if ((it.sub.kind === 'form' && it.sub.origin === 'server') || it.sub.externalKey === '<demo-mail-1@example.com>')
      forCrm.push({ inquiryId: r.inquiry.id, leadId: r.inquiry.leadId });
  }
  return { ids, forCrm };
}

/** What the callback service leaves after placing a request and the PBX reporting how it went. */
async function placedCallback(
  deps: { db: Db; storage: RecordingStorage },
  store: PgInquiryStore,
  inquiry: Inquiry,
  cb: NonNullable<DemoInquiry['callback']>,
  now: Date,
): Promise<void> {
  const callId = newId();
  const startedAt = new Date(inquiry.receivedAt.getTime() + 4_000);
  const ring = 7;
  const answered = cb.outcome === 'visitor_answered';
  await deps.db.transaction(async (trx) => {
    await trx('calls').insert({
      id: callId,
      account_id: inquiry.accountId,
      site_id: inquiry.siteId,
      provider: 'asterisk',
      provider_call_id: `demo-callback-${callId}`,
      tracking_e164: cb.callerId,
      caller: inquiry.phone,
      forward_to: BUSINESS,
      status: 'ended',
      outcome: answered ? 'completed' : 'no-answer',
      started_at: startedAt,
      answered_at: answered ? new Date(startedAt.getTime() + ring * 1000) : null,
      ended_at: new Date(startedAt.getTime() + (ring + cb.talk + (answered ? 0 : 30)) * 1000),
      ring_seconds: ring,
      talk_seconds: cb.talk,
      session_id: inquiry.sessionId,
      visitor_id: inquiry.visitorId,
      channel_id: inquiry.channelId,
      attribution: JSON.stringify(callbackAttribution(inquiry, startedAt)),
      direction: 'callback',
      lead_id: inquiry.leadId,
    });
    await store.update(trx, inquiry.accountId, inquiry.id, { status: 'placed', callId, callbackOutcome: cb.outcome });
  });
  if (cb.recorded) await storeDemoRecording(deps, { accountId: inquiry.accountId, callId, at: startedAt, now });
}
