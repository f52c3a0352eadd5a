// Which fields of a submitted form the inquiries module reads, and as what. Pure over the DOM form: no network.

/** What a submitted form becomes: the contact fields by role, the rest by label. */
export interface FormData_ {
  phone?: string;
  email?: string;
  name?: string;
  message?: string;
  fields: Record<string, string>;
  honeypot?: string;
}

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

// Never read: secrets and payment data (by type, autocomplete token or name), hidden and file inputs, buttons.
const SKIP_TYPES = /^(password|hidden|file|submit|button|reset|image)$/;
const SECRET = /pass|pwd|card|cc-?(num|number|csc|exp)|cvv|cvc|csc|iban|pan\b|pin\b|secur|ssn|token|otp/i;
const ROLE: [keyof Omit<FormData_, 'fields' | 'honeypot'>, RegExp][] = [
  ['email', /e-?mail|почт/i],
  ['phone', /phone|tel|mobile|телеф/i],
  ['name', /^(name|fio|fullname|full_name|first_?name|your-name)$|имя|фио/i],
  ['message', /message|comment|question|text|msg|сообщ|коммент|вопрос/i],
];

const labelOf = (el: Field): string => {
  const id = el.id;
  const label = (id && el.ownerDocument.querySelector(`label[for="${CSS.escape(id)}"]`)) || el.closest('label');
  return (el.name || label?.textContent || el.getAttribute('placeholder') || el.getAttribute('aria-label') || '').trim().slice(0, 100);
};

/** True for a field the module must never read. */
export function isSecret(el: Field): boolean {
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (SKIP_TYPES.test(type) || el.hasAttribute('data-dni-ignore')) return true;
  const auto = (el.getAttribute('autocomplete') || '').toLowerCase();
  if (/^cc-|current-password|new-password|one-time-code/.test(auto)) return true;
  return SECRET.test(`${el.name} ${el.id}`);
}

/** Reads a form as the gateway takes it; `honeypot` is the one field read by name whatever it looks like. */
export function readForm(form: HTMLFormElement, honeypotName: string): FormData_ {
  const out: FormData_ = { fields: {} };
  for (const node of Array.from(form.elements)) {
    const el = node as Field;
    if (!('value' in el) || (!el.name && !el.id)) continue;
    if (el.name === honeypotName) {
      out.honeypot = el.value;
      continue;
    }
    if (isSecret(el)) continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && !(el as HTMLInputElement).checked) continue;
    const value = el.value.trim();
    if (!value) continue;
    const type = (el.getAttribute('type') || '').toLowerCase();
    const keys = [el.name, el.id, el.getAttribute('autocomplete') || ''].filter(Boolean);
    const role =
      type === 'email'
        ? 'email'
        : type === 'tel'
          ? 'phone'
          : el.tagName === 'TEXTAREA' && !out.message
            ? 'message'
            : ROLE.find(([, re]) => keys.some((k) => re.test(k)))?.[0];
    if (role && out[role] === undefined) out[role] = value.slice(0, role === 'message' ? 20000 : 320);
    else out.fields[labelOf(el) || `field${Object.keys(out.fields).length + 1}`] = value.slice(0, 2000);
  }
  return out;
}
