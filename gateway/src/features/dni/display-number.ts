import { formatInternational, formatNational } from '../../shared/phone.js';

/**
 * A readable form of an E.164 number for the widget's display hint (the widget copies the page's own format when
 * it can): national for NANP numbers, whose pages rarely print "+1", international elsewhere (libphonenumber).
 */
export function displayNumber(e164: string): string {
  return e164.startsWith('+1') ? formatNational(e164) : formatInternational(e164);
}
