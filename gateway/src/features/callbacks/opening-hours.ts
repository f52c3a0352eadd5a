import type { OpeningHours } from '../inquiries/inquiry-settings.js';

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
};

/** Weekday (1 Monday .. 7 Sunday) and minute of the day of `at` in `timeZone`. */
function local(at: Date, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
    at,
  );
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')) + 1;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** True when `at` falls in one of the openings (no openings: always open). Openings are [from, to) local times. */
export function isOpen(hours: readonly OpeningHours[], timeZone: string, at: Date): boolean {
  if (!hours.length) return true;
  const { day, minute } = local(at, timeZone);
  return hours.some((h) => h.days.includes(day) && minute >= minutes(h.from) && minute < minutes(h.to));
}

/**
 * The next moment the business opens after `at` (at itself when open). Steps a minute at a time across at most a
 * week: exact across DST changes (the zone's own clock is read at every step), and a week is 10 080 checks, a
 * fraction of a millisecond each; only run once per request outside hours.
 */
export function nextOpening(hours: readonly OpeningHours[], timeZone: string, at: Date): Date | null {
  if (isOpen(hours, timeZone, at)) return at;
  const start = Math.ceil(at.getTime() / 60_000) * 60_000;
  for (let i = 0; i <= 7 * 24 * 60; i++) {
    const t = new Date(start + i * 60_000);
    if (isOpen(hours, timeZone, t)) return t;
  }
  return null;
}
