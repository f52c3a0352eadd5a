/** E.164: "+" and 7 to 15 digits, no leading zero in the country code. */
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$';
const E164_RE = new RegExp(E164_PATTERN);

export const e164Schema = { type: 'string', pattern: E164_PATTERN, examples: ['+14155550100'] } as const;

export function isE164(value: string): boolean {
  return E164_RE.test(value);
}

/**
 * Best-effort normalisation of a dialled or presented number to E.164, for numbers from carriers and PBXs
 * ("+1 (415) 555-0100", "14155550100", "84951234567", "0014155550100"). Returns null when unsure.
 * `defaultCountry` resolves national formats: "1" (NANP) or "7" (Russia) are the ones we know the rules of.
 */
export function toE164(raw: string, defaultCountry?: '1' | '7'): string | null {
  const trimmed = raw.trim();
  if (!trimmed || /[a-z@]/i.test(trimmed.replace(/^tel:/i, ''))) return null;
  let digits = trimmed.replace(/^tel:/i, '').replace(/[^\d+]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1).replace(/\+/g, '');
  else if (digits.startsWith('00')) digits = digits.slice(2);
  else if (digits.startsWith('810') && digits.length > 13) digits = digits.slice(3);
  else if (defaultCountry === '7' && digits.length === 11 && digits.startsWith('8')) digits = `7${digits.slice(1)}`;
  else if (defaultCountry === '7' && digits.length === 10) digits = `7${digits}`;
  else if (defaultCountry === '1' && digits.length === 10) digits = `1${digits}`;
  const candidate = `+${digits}`;
  return E164_RE.test(candidate) ? candidate : null;
}
