// A date field in the console's language. Chromium draws <input type=date> in the browser's own locale whatever the
// page's or the input's lang, so a Russian console in an English browser showed mm/dd/yyyy. This is a text field in
// the selected language's order and separators (Intl.DateTimeFormat parts: 23.11.2026, 11/23/2026), which also takes
// an ISO date, with the browser's calendar behind a button (a native date input it opens with showPicker()).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { locale, t } from './i18n.js';

const SAMPLE = Date.UTC(2001, 10, 23);

/** The selected language's numeric date layout: part order and the separator, e.g. ['day','month','year'] and '.'. */
export function dateLayout(lang = locale.value) {
  const parts = new Intl.DateTimeFormat(lang, { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(SAMPLE);
  const order = parts.filter((p) => p.type === 'day' || p.type === 'month' || p.type === 'year').map((p) => p.type);
  const sep = parts.find((p) => p.type === 'literal')?.value ?? '-';
  return { order, sep };
}

/** 'YYYY-MM-DD' as the language writes it; '' for nothing. */
export function formatDateInput(iso, lang = locale.value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  if (!m) return '';
  const by = { year: m[1], month: m[2], day: m[3] };
  const { order, sep } = dateLayout(lang);
  return order.map((k) => by[k]).join(sep);
}

/** What was typed, in the language's order or as an ISO date, to 'YYYY-MM-DD'; null when it is not a real day. */
export function parseDateInput(text, lang = locale.value) {
  const s = (text || '').trim();
  const nums = s.split(/\D+/).filter(Boolean);
  if (nums.length !== 3) return null;
  let by;
  if (nums[0].length === 4) by = { year: nums[0], month: nums[1], day: nums[2] };
  else {
    const { order } = dateLayout(lang);
    by = Object.fromEntries(order.map((k, i) => [k, nums[i]]));
  }
  if (by.year.length !== 4) return null;
  const y = Number(by.year);
  const mo = Number(by.month);
  const d = Number(by.day);
  const at = new Date(Date.UTC(y, mo - 1, d));
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return null;
  return at.toISOString().slice(0, 10);
}

/** DD.MM.YYYY / MM/DD/YYYY in the language's letters. */
export function datePlaceholder(lang = locale.value) {
  const { order, sep } = dateLayout(lang);
  return order.map((k) => t(`date.${k}`)).join(sep);
}

/**
 * value: 'YYYY-MM-DD' or ''; onChange gets the same ('' when cleared). A date that is not a real day, or outside
 * min/max, is marked invalid and not applied.
 */
export function DateInput({ name, value, min, max, onChange }) {
  const [text, setText] = useState(formatDateInput(value));
  const [bad, setBad] = useState(false);
  const picker = useRef(null);
  const lang = locale.value;
  useEffect(() => {
    setText(formatDateInput(value, lang));
    setBad(false);
  }, [value, lang]);
  // On change (blur, Enter), and as soon as what is typed is a whole real day.
  const apply = (typed = text, quiet = false) => {
    if (!typed.trim()) {
      setBad(false);
      if (value && !quiet) onChange('');
      return;
    }
    const iso = parseDateInput(typed, lang);
    if (!iso || (min && iso < min) || (max && iso > max)) {
      if (!quiet) setBad(true);
      return;
    }
    setBad(false);
    setText(formatDateInput(iso, lang));
    if (iso !== value) onChange(iso);
  };
  return html`<span class="date-input">
    <input type="text" name=${name} inputmode="numeric" autocomplete="off" maxlength="10" placeholder=${datePlaceholder(lang)}
      value=${text} aria-invalid=${bad ? 'true' : undefined} title=${bad ? t('date.invalid') : undefined}
      onInput=${(e) => {
        const v = e.currentTarget.value;
        setText(v);
        if (/\d{4}/.test(v)) apply(v, true);
      }}
      onChange=${() => apply()}
      onKeyDown=${(e) => {
        if (e.key !== 'Enter') return;
        e.preventDefault();
        apply();
      }} />
    <button type="button" class="date-pick" aria-label=${t('date.pick')} title=${t('date.pick')}
      onClick=${(e) => {
        e.preventDefault();
        picker.current?.showPicker?.();
      }}><svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M4 0h2v2h4V0h2v2h3v14H1V2h3zm-1 6v8h10V6z" /></svg></button>
    <input type="date" class="date-native" tabindex="-1" aria-hidden="true" ref=${picker} value=${value || ''} min=${min} max=${max}
      onChange=${(e) => e.currentTarget.value !== value && onChange(e.currentTarget.value)} />
  </span>`;
}
