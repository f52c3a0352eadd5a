/** What the visitor and the business hear or read about a callback, in English and Russian. */
const CATALOG = {
  en: {
    now: 'Thank you! We are calling you now.',
    later: 'Thank you! We are closed now and will call you back at {time}.',
    never: 'Thank you! We will call you back as soon as we can.',
    whisper: 'Callback request from the website. Connecting you to {number}.',
  },
  ru: {
    now: 'Спасибо! Мы уже звоним вам.',
    later: 'Спасибо! Сейчас мы не работаем и перезвоним вам {time}.',
    never: 'Спасибо! Мы перезвоним вам, как только сможем.',
    whisper: 'Заказ обратного звонка с сайта. Соединяем с номером {number}.',
  },
} as const;

export function ct(locale: string | null | undefined, key: keyof (typeof CATALOG)['en'], params: Record<string, string> = {}): string {
  const lang = locale === 'ru' ? 'ru' : 'en';
  return CATALOG[lang][key].replace(/\{(\w+)\}/g, (w, n: string) => params[n] ?? w);
}

/** "Mon, 09:00" in the site's language and zone. */
export const localTime = (at: Date, timeZone: string, locale: string | null | undefined): string =>
  new Intl.DateTimeFormat(locale === 'ru' ? 'ru-RU' : 'en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
