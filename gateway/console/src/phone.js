// Phone numbers are stored and sent as E.164; people read them grouped the way their country writes them.
// libphonenumber-js with its smallest metadata ("min") does the grouping (docs/console.md says why this one).
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { html } from './html.js';

const cache = new Map();

/** "+74951234567" → "+7 495 123 45 67"; anything that does not parse is shown as it came. */
export function fmtPhone(e164) {
  if (!e164) return '—';
  let out = cache.get(e164);
  if (out === undefined) {
    out = parsePhoneNumberFromString(String(e164))?.formatInternational() ?? String(e164);
    if (cache.size > 2000) cache.clear();
    cache.set(e164, out);
  }
  return out;
}

// A run of digits as people write a phone number: "+1 415 555 0100", "8 (495) 123-45-67".
const NUMBER_RUN = /\+?\d[\d\s().-]{5,}\d/g;

/** Free text (a pool's name, say) with each phone number in it kept on one line, so a narrow card never splits one. */
export function keepNumbersTogether(text) {
  const s = String(text ?? '');
  const out = [];
  let last = 0;
  for (const m of s.matchAll(NUMBER_RUN)) {
    if (m.index > last) out.push(s.slice(last, m.index));
    out.push(html`<span class="nowrap">${m[0]}</span>`);
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}
