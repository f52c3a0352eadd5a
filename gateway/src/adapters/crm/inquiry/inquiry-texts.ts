import type { InquiryLead } from '../../../features/inquiries/inquiry-read-model.js';

/**
 * What a person reads in a CRM about a form, a callback request or an email, in English and Russian. Kept as one
 * small catalog with the keys of its own so it folds into the gateway's i18n catalogs without touching their keys.
 */
const CATALOG = {
  en: {
    'form.title': 'Web form from {who}',
    'callback.title': 'Callback request from {who}',
    'email.title': 'Email from {who}',
    'form.sourceName': 'Web form: {site}',
    'callback.sourceName': 'Callback request: {site}',
    'email.sourceName': 'Email: {site}',
    repeat: 'Another inquiry in this lead ({count} so far): {kind} at {at}',
    'kind.form': 'web form',
    'kind.callback': 'callback request',
    'kind.email': 'email',
    page: 'Page: {url}',
    origin: 'Source: {origin}',
    subject: 'Subject: {subject}',
    anonymous: 'a visitor',
  },
  ru: {
    'form.title': 'Заявка с сайта от {who}',
    'callback.title': 'Заказ обратного звонка от {who}',
    'email.title': 'Письмо от {who}',
    'form.sourceName': 'Форма на сайте: {site}',
    'callback.sourceName': 'Обратный звонок: {site}',
    'email.sourceName': 'Почта: {site}',
    repeat: 'Ещё одно обращение по этому лиду (всего {count}): {kind}, {at}',
    'kind.form': 'заявка с сайта',
    'kind.callback': 'заказ обратного звонка',
    'kind.email': 'письмо',
    page: 'Страница: {url}',
    origin: 'Источник: {origin}',
    subject: 'Тема: {subject}',
    anonymous: 'посетителя',
  },
} as const;

export type InquiryTextKey = keyof (typeof CATALOG)['en'];
type Lang = keyof typeof CATALOG;

export function it(locale: string | null | undefined, key: InquiryTextKey, params: Record<string, string | number> = {}): string {
  const lang: Lang = locale === 'ru' ? 'ru' : 'en';
  return CATALOG[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
}

const who = (l: InquiryLead): string => l.inquiry.name ?? l.inquiry.phone ?? l.inquiry.email ?? it(l.locale, 'anonymous');

export const inquiryTitle = (l: InquiryLead): string => it(l.locale, `${l.inquiry.kind}.title`, { who: who(l) });

export const inquirySourceName = (l: InquiryLead): string => it(l.locale, `${l.inquiry.kind}.sourceName`, { site: l.siteName ?? '' });

export function originText(l: InquiryLead): string {
  const a = l.attribution;
  const sm = [a.source, a.medium].filter(Boolean).join(' / ');
  const name = a.channelName ?? a.channel;
  return name && sm ? `${name} (${sm})` : (name ?? sm);
}

/** The inquiry in a few lines: subject, message, the other fields, the page, the source. */
export function inquiryBody(l: InquiryLead): string {
  const i = l.inquiry;
  const origin = originText(l);
  return [
    i.subject ? it(l.locale, 'subject', { subject: i.subject }) : null,
    i.message,
    ...Object.entries(i.fields).map(([k, v]) => `${k}: ${v}`),
    i.pageUrl ? it(l.locale, 'page', { url: i.pageUrl }) : null,
    origin ? it(l.locale, 'origin', { origin }) : null,
  ]
    .filter(Boolean)
    .join('\n');
}

/** A later inquiry of a customer whose lead the CRM has: the note added to that record. */
export function repeatInquiryNote(l: InquiryLead): string {
  const head = it(l.locale, 'repeat', {
    count: l.lead?.inquiries ?? 2,
    kind: it(l.locale, `kind.${l.inquiry.kind}`),
    at: l.inquiry.receivedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  return [head, inquiryBody(l)].filter(Boolean).join('\n');
}
