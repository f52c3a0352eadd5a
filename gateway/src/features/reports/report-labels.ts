/** Words a person reads in report labels, from the en and ru catalogs. Keys stay machine values; only labels change. */

export type Lang = 'en' | 'ru';

const CATALOG = {
  en: {
    none: '(none)',
    weekdays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
    firstTime: 'First-time callers',
    repeat: 'Repeat callers',
    total: 'total',
  },
  ru: {
    none: '(none)',
    weekdays: ['Понедельник', 'Вторник', 'Среда', 'Четверг', 'Пятница', 'Суббота', 'Воскресенье'],
    firstTime: 'Новые звонящие',
    repeat: 'Повторные звонящие',
    total: 'total',
  },
} as const;

/** "(none)" stays the same in both languages: API clients and CSV consumers match on it. */
export function noneLabel(lang: Lang): string {
  return CATALOG[lang].none;
}

export function weekdayLabel(lang: Lang, isoDow: number): string {
  return CATALOG[lang].weekdays[isoDow - 1] ?? String(isoDow);
}

export function firstTimeLabel(lang: Lang, firstTime: boolean): string {
  return firstTime ? CATALOG[lang].firstTime : CATALOG[lang].repeat;
}

/** ISO 8601 week of a Monday date (`2026-11-16` → `2026-W47`). */
export function isoWeekLabel(monday: string): string {
  const d = new Date(`${monday}T00:00:00Z`);
  const thursday = new Date(d.getTime() + 3 * 86_400_000);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
