// Catalogs, plurals and Intl formatting. Language: the user's stored choice, else the browser's, else English.
// Dates and money follow the selected site's time zone and currency (the reports' calendar is the site's).
import { computed, signal } from '@preact/signals';
import { en } from './locales/en.js';
import { ru } from './locales/ru.js';

export const CATALOGS = { en, ru };
export const LOCALES = ['en', 'ru'];

export function browserLocale() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

export const locale = signal(browserLocale());
/** The site whose time zone and currency formatting uses (set by the shell's site picker). */
export const formatSite = signal(null);

const plurals = computed(() => new Intl.PluralRules(locale.value));

const lookup = (key) => {
  const v = CATALOGS[locale.value]?.[key];
  return v === undefined ? en[key] : v;
};

/** t('calls.count', { count: 3 }): plural forms are objects keyed by Intl.PluralRules categories. */
export function t(key, vars = {}) {
  let v = lookup(key);
  if (v === undefined) return key;
  if (typeof v === 'object') {
    const n = Number(vars.count ?? 0);
    v = v[plurals.value.select(n)] ?? v.other;
  }
  return String(v).replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined ? `{${k}}` : typeof vars[k] === 'number' ? fmtNumber(vars[k]) : vars[k]));
}

/** Whether a catalog has a key (enums shown in words: outcome.*, kind.*). */
export const has = (key) => lookup(key) !== undefined;
export const tEnum = (prefix, value) => (value == null ? '—' : has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : String(value));

const tz = () => formatSite.value?.timezone || undefined;
export const siteCurrency = () => formatSite.value?.currency || formatSite.value?.settings?.currency || 'USD';

const cache = new Map();
const fmt = (kind, opts) => {
  const key = `${locale.value}|${kind}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = kind === 'dt' ? new Intl.DateTimeFormat(locale.value, opts) : new Intl.NumberFormat(locale.value, opts);
    cache.set(key, f);
  }
  return f;
};

const safeTz = (zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
};

export function fmtDateTime(iso, opts = {}) {
  if (!iso) return '—';
  return fmt('dt', { dateStyle: 'medium', timeStyle: 'short', timeZone: safeTz(tz()), ...opts }).format(new Date(iso));
}
/** Compact date and time for lists: the year only when it is not this year. */
export function fmtShortDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return fmt('dt', {
    month: 'short',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    timeZone: safeTz(tz()),
  }).format(d);
}
export function fmtTime(iso) {
  if (!iso) return '—';
  return fmt('dt', { timeStyle: 'medium', timeZone: safeTz(tz()) }).format(new Date(iso));
}
/** A YYYY-MM-DD calendar date (already in the site's calendar): formatted without shifting zones. */
export function fmtDay(ymd, opts = { dateStyle: 'medium' }) {
  if (!ymd) return '—';
  return fmt('dt', { ...opts, timeZone: 'UTC' }).format(new Date(`${ymd}T00:00:00Z`));
}
export const fmtNumber = (n, opts = {}) => (n == null || Number.isNaN(n) ? '—' : fmt('n', opts).format(n));
export const fmtMoney = (n, currency = siteCurrency()) =>
  n == null ? '—' : fmt('n', { style: 'currency', currency, maximumFractionDigits: Math.abs(n) >= 1000 ? 0 : 2 }).format(n);
export const fmtPercent = (n, digits = 0) => (n == null ? '—' : fmt('n', { style: 'percent', maximumFractionDigits: digits }).format(n));
export function fmtDuration(seconds) {
  if (seconds == null) return '—';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (x) => String(x).padStart(2, '0');
  return h ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Today's date (YYYY-MM-DD) in the site's time zone, and date arithmetic on calendar days. */
export function todayInSite() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: safeTz(tz()), year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return parts;
}
export function addDays(ymd, days) {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
export const daysBetween = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** The UTC instant a site-local calendar date starts (for APIs that take instants: calls, audit). */
export function siteDayStart(ymd) {
  const zone = safeTz(tz()) || 'UTC';
  const guess = new Date(`${ymd}T00:00:00Z`);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(guess)
      .map((p) => [p.type, p.value]),
  );
  const asLocal = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return new Date(guess.getTime() - (asLocal - guess.getTime())).toISOString();
}
