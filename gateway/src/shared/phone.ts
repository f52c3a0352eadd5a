import { getCountries, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';

/**
 * Every number the gateway parses, validates or formats goes through libphonenumber-js (the JavaScript port of
 * Google's libphonenumber, with its per-country metadata: trunk prefixes, international call prefixes, lengths).
 * The default (min) metadata is enough here: parsing and formatting are exact, and "possible" (length per country)
 * is the check we apply, because carriers and test ranges (+1 555 01xx) use numbers the full metadata calls invalid.
 */

export type { CountryCode };

/** E.164: "+" and 7 to 15 digits, no leading zero in the country code. The shape the API stores and returns. */
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$';
const E164_RE = new RegExp(E164_PATTERN);

/** An E.164 request or response field; the `e164` format (registered on the API's ajv) checks it with libphonenumber. */
export const e164Schema = { type: 'string', pattern: E164_PATTERN, format: 'e164', examples: ['+14155550100'] } as const;

/** ISO 3166-1 alpha-2 codes libphonenumber has metadata for (the countries we can resolve national formats of). */
export const PHONE_COUNTRIES: readonly CountryCode[] = getCountries();
const COUNTRY_SET = new Set<string>(PHONE_COUNTRIES);

export function isPhoneCountry(value: string): value is CountryCode {
  return COUNTRY_SET.has(value);
}

/**
 * Answers already worked out: the voice webhook checks the same forward-to and tracking numbers on every call, and
 * libphonenumber's parse is most of that answer's CPU time. Bounded: emptied when full.
 */
const E164_MEMO = new Map<string, boolean>();
const E164_MEMO_MAX = 10_000;

/** An E.164 string that is a possible number of its country (right length for its numbering plan). */
export function isE164(value: string): boolean {
  if (!E164_RE.test(value)) return false;
  const known = E164_MEMO.get(value);
  if (known !== undefined) return known;
  const n = parsePhoneNumberFromString(value);
  const ok = n !== undefined && n.number === value && n.isPossible();
  if (E164_MEMO.size >= E164_MEMO_MAX) E164_MEMO.clear();
  E164_MEMO.set(value, ok);
  return ok;
}

/**
 * A dialled or presented number ("+1 (415) 555-0100", "84951234567", "8 (495) 123-45-67", "020 7946 0000",
 * "0014155550100", "tel:+7…") in E.164, or null when it is not a possible phone number. National formats resolve
 * through `country` (its trunk prefix and international call prefix: "8…"/"810…" in Russia, "0…"/"00…" in the UK).
 * Digits without "+" that are not a national number of `country` are tried as an international number (PBXs that
 * strip the "+": "14155550100").
 */
export function toE164(raw: string, country?: CountryCode | null): string | null {
  const text = raw.trim().replace(/^tel:/i, '');
  if (!text || /[a-z@]/i.test(text)) return null;
  const national = parsePhoneNumberFromString(text, country ? { defaultCountry: country } : undefined);
  if (national?.isPossible()) return national.number;
  if (text.startsWith('+')) return null;
  const digits = text.replace(/\D/g, '');
  const intl = digits.length >= 8 ? parsePhoneNumberFromString(`+${digits}`) : undefined;
  return intl?.isPossible() ? intl.number : null;
}

/** The country an E.164 number belongs to (null for non-geographic or shared codes libphonenumber cannot place). */
export function countryOfE164(e164: string): CountryCode | null {
  return parsePhoneNumberFromString(e164)?.country ?? null;
}

/** How a person of the number's country writes it ("(415) 555-0100", "8 (495) 123-45-67", "020 7946 0000"). */
export function formatNational(e164: string): string {
  const n = parsePhoneNumberFromString(e164);
  return n ? n.formatNational() : e164;
}

/** "+7 495 123 45 61", "+44 20 7946 0000". */
export function formatInternational(e164: string): string {
  const n = parsePhoneNumberFromString(e164);
  return n ? n.formatInternational() : e164;
}

/**
 * The digit strings a page may print for one number, always three and in this order: international without "+"
 * ("74951234561"), national with the trunk prefix ("84951234561", "02079460000") and national without it
 * ("4951234561", "2079460000"). Countries without a trunk prefix repeat the national form; the widget maps form k of
 * a canonical number to form k of its replacement, so the order is what matters.
 */
export function digitForms(e164: string): readonly [string, string, string] {
  return printedForms(e164).digits;
}

/**
 * `digitForms` and the widget's display text (national for NANP numbers, whose pages rarely print "+1",
 * international elsewhere) from one parse: the parse was a quarter of the cost of a number's forms.
 */
export function printedForms(e164: string): { display: string; digits: readonly [string, string, string] } {
  const n = parsePhoneNumberFromString(e164);
  const intl = e164.replace(/\D/g, '');
  if (!n) return { display: e164, digits: [intl, intl, intl] };
  const national = n.formatNational();
  const display = e164.startsWith('+1') ? national : n.formatInternational();
  return { display, digits: [intl, national.replace(/\D/g, ''), String(n.nationalNumber)] };
}
