// Pure number finding, matching and formatting. No DOM here, so all of it runs under mocha.

/**
 * A canonical number of the site and the number shown instead (both E.164), with the digit forms pages print each in
 * (international, national with the trunk prefix, national without), as the gateway computes them.
 */
export interface Swap {
  from: string;
  to: string;
  display?: string;
  fromForms?: string[];
  toForms?: string[];
}

/** A number on the page from an earlier answer: the canonical number it replaced, and its own digit forms. */
export type Shown = [canonical: string, forms: string[] | undefined];

/**
 * Digit table: every digit form a canonical number can take on a page → the digits of the replacement in the same
 * form. Built by {@link buildTable}; the finder looks keys up by length, longest first.
 */
export type Table = Map<string, [digits: string, e164: string]>;

/** Digits only. */
export const digitsOf = (s: string): string => s.replace(/\D/g, '');

/**
 * The digit forms of a number: the gateway's (it knows every country's trunk prefix, so the widget carries no
 * numbering metadata), or the international digits alone for an answer without them.
 */
export const digitForms = (e164: string, forms?: string[]): string[] => (forms?.length ? forms : [digitsOf(e164)]);

/**
 * Builds the digit table for a set of swaps: form k of a shown number maps to form k of its replacement. `extra`
 * holds further numbers already on the page (a previous swap's `to`), so a newer answer re-swaps them.
 */
export function buildTable(swaps: readonly Swap[], extra: Record<string, Shown> = {}): Table {
  const table: Table = new Map();
  const add = (shown: string[], s: Swap) => {
    const to = digitForms(s.to, s.toForms);
    shown.forEach((form, k) => {
      if (form.length > 6) table.set(form, [to[k] ?? (to[0] as string), s.to]);
    });
  };
  for (const s of swaps) {
    add(digitForms(s.from, s.fromForms), s);
    for (const n in extra) if (extra[n]?.[0] === s.from) add(digitForms(n, extra[n][1]), s);
  }
  return table;
}

// Characters allowed between the digits of one number: spaces (`\s` takes in no-break and thin ones), dashes, dots,
// brackets; at most three of them between two digits.
/**
 * 7+ digits with at most three separators between each two: the shortest form a table number can take (written out:
 * the repeated class compresses to nothing). Global, for `matchAll` over a whole subtree's text.
 */
export const CANDIDATE = /\d(?:[\s().\u2010-\u2014\u2212-]{0,3}\d){6}/g;
// From a digit, as many as 15 digits of one number (the longest E.164 number), the same separators between them.
const NUMBER = /\d(?:[\s().\u2010-\u2014\u2212-]{0,3}\d){0,14}/y;
// undefined (past either end) compares false with both.
const isDigit = (c: string | undefined): boolean => (c as string) >= '0' && (c as string) <= '9';

/** One number found in a text: the positions of its digits and the digits that replace them. */
export type Found = [positions: number[], to: string];

/**
 * Finds the table's numbers in `text`, separators acting as wildcards. A number must not be glued to other digits on
 * either side (`841555501001` does not match), but may follow other numbers across separators (`д. 15 8 495 …`).
 *
 * The regular expressions do the walking: a number can only start where a run of digits does (`\d+`), and `NUMBER`
 * takes its digits from there. Measured against the loop over every character it replaced (with its fast reject):
 * the same main-thread time in bench:widget, 15 B gzip less, which pays for most of the compile hint (bundle.mjs).
 */
export function findNumbers(text: string, table: Table): Found[] {
  const found: Found[] = [];
  const starts = /\d+/g;
  for (let m = starts.exec(text); m; m = starts.exec(text)) {
    NUMBER.lastIndex = m.index;
    const run = (NUMBER.exec(text) as RegExpExecArray)[0];
    const positions: number[] = [];
    let digits = '';
    for (let k = 0; k < run.length; k++)
      if (isDigit(run[k])) {
        positions.push(m.index + k);
        digits += run[k];
      }
    for (let len = positions.length; len > 6; len--) {
      const to = table.get(digits.slice(0, len));
      const last = positions[len - 1] as number;
      if (to === undefined || isDigit(text[last + 1])) continue;
      found.push([positions.slice(0, len), to[0]]);
      starts.lastIndex = last + 1;
      break;
    }
  }
  return found;
}

/**
 * The replacement for each old digit position: digit by digit, so the page's separators and prefix style stay.
 * A longer new number puts its tail on the last position; a shorter one empties the extra positions.
 */
export function replacementDigits(oldLength: number, to: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < oldLength; k++) out.push(k === oldLength - 1 ? to.slice(k) : (to[k] ?? ''));
  return out;
}

/** Replaces digits of `text` in order with `digits`, keeping every other character: "8 (495) 123-45-67" → "8 (495) 123-45-61". */
export function transferFormat(text: string, digits: string): string {
  const positions: number[] = [];
  for (let i = 0; i < text.length; i++) if (isDigit(text[i])) positions.push(i);
  return apply([text], [[positions, digits]])[0] as string;
}

/**
 * Swaps numbers in a run of adjacent text pieces (the text nodes of one inline run, so `<span>8 800</span> <b>555</b>-35-35`
 * is one number). Returns the new pieces, or null when nothing matched.
 */
export function swapParts(parts: readonly string[], table: Table): string[] | null {
  const found = findNumbers(parts.join(''), table);
  return found.length ? apply(parts, found) : null;
}

function apply(parts: readonly string[], found: readonly Found[]): string[] {
  const repl = new Map<number, string>();
  for (const [positions, to] of found)
    replacementDigits(positions.length, to).forEach((d, k) => {
      repl.set(positions[k] as number, d);
    });
  let g = 0;
  return parts.map((part) => {
    let out = '';
    // By UTF-16 unit (split), as the positions are: by code point, an emoji before a number shifted every digit.
    for (const c of part.split('')) out += repl.get(g++) ?? c;
    return out;
  });
}

/** Swaps every table number in one string (attributes such as `title` and `aria-label`). */
export const swapText = (text: string, table: Table): string => (swapParts([text], table) ?? [text])[0] as string;

/** `tel:` href of a table number → `tel:+<E.164>`; any other href → null. Parameters after `;` are dropped. */
export function telHref(href: string, table: Table): string | null {
  if (!/^tel:/i.test(href)) return null;
  // Percent escapes (`%20`, `%2B`) carry digits that are not part of the number.
  const to = table.get(digitsOf((href.slice(4).split(/[;?]/)[0] as string).replace(/%[\da-f]{2}/gi, '')));
  return to ? 'tel:+' + digitsOf(to[1]) : null;
}
