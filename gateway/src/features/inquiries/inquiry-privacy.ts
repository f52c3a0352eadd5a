/**
 * What of a submitted form the gateway keeps and shows. The widget never reads secret fields (dni-widget
 * form-fields.ts, the same name pattern); a backend posting its own forms may send anything, so the same rule is
 * applied when a submission is stored and again when one is read (rows kept from before stay covered).
 */
const SECRET_NAME = /pass|pwd|card|cc-?(num|number|csc|exp)|cvv|cvc|csc|iban|pan\b|pin\b|secur|ssn|token|otp/i;
export const HIDDEN_VALUE = '••••••';

/** A card number: 13 to 19 digits (spaces and dashes allowed) that pass the Luhn check. */
function looksLikeCard(value: string): boolean {
  if (!/^[\d\s-]+$/.test(value)) return false;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Secret-named fields lose their value; a card number anywhere keeps only its last four digits. */
export function maskFields(fields: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_NAME.test(k)) out[k] = HIDDEN_VALUE;
    else if (looksLikeCard(v)) out[k] = `${HIDDEN_VALUE} ${v.replace(/\D/g, '').slice(-4)}`;
    else out[k] = v;
  }
  return out;
}
