/**
 * Characters no stored text and no XML document may hold: C0 controls other than tab, LF and CR (NUL above all:
 * PostgreSQL text and jsonb refuse it, and one such value used to fail a whole batch of rows), the non-characters
 * U+FFFE/U+FFFF, and lone UTF-16 surrogates (XML 1.0 `Char` production).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this module's purpose
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ILLEGAL_ALL = new RegExp(ILLEGAL.source, 'g');

export const hasControlChars = (s: string): boolean => ILLEGAL.test(s);

/** The text without those characters (unchanged, and not copied, when it has none). */
export const stripControlChars = (s: string): string => (ILLEGAL.test(s) ? s.replace(ILLEGAL_ALL, '') : s);

const isPlain = (v: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(v);
  // Form parsers hand out null-prototype objects.
  return proto === Object.prototype || proto === null;
};

/** A parsed JSON or form value with every string (keys included) stripped; other values as they are. */
export function stripControlCharsDeep<T>(value: T): T {
  if (typeof value === 'string') return stripControlChars(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => stripControlCharsDeep(v)) as T;
  if (value && typeof value === 'object' && isPlain(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = stripControlChars(k);
      // JSON.parse makes "__proto__" an own property; an assignment would instead set the copy's prototype, and
      // its properties would then pass validation and reach handlers as if the body had them.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: stripControlCharsDeep(v), enumerable: true, writable: true, configurable: true });
      else out[key] = stripControlCharsDeep(v);
    }
    return out as T;
  }
  return value;
}

/**
 * A parsed form (strings, or arrays of them) without those characters: the same object when it has none (the
 * common case, and a copy of every Twilio webhook's 30-odd parameters otherwise), else a stripped copy.
 */
export function withoutControlChars<T extends Readonly<Record<string, string | readonly string[]>>>(form: T): T {
  for (const k in form) {
    if (ILLEGAL.test(k)) return stripControlCharsDeep(form);
    const v = form[k]!;
    if (typeof v === 'string' ? ILLEGAL.test(v) : v.some((x) => ILLEGAL.test(x))) return stripControlCharsDeep(form);
  }
  return form;
}
