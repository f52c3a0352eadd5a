// Phone numbers are stored and sent as E.164; people read them grouped the way their country writes them.
// libphonenumber-js with its smallest metadata ("min") does the grouping (docs/console.md says why this one).
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

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
