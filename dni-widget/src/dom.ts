// DOM side of the swap: walks a subtree, joins the text of inline runs, rewrites text, tel: hrefs, title and aria-label.
import { swapParts, swapText, type Table, telHref } from './numbers.js';

// Never touched: code, styles, form fields, JSON-LD (a script), templates, editable content.
const SKIP_TAG = /^(SCRIPT|STYLE|TEXTAREA|NOSCRIPT|TEMPLATE|SELECT)$/;
// Inline elements do not end a run of text, so a number split across them is still one number.
const INLINE = /^(A|B|BDI|CODE|EM|FONT|I|NOBR|SMALL|SPAN|STRONG|U)$/;
/** Attributes that may carry a number; `href` only as `tel:`. */
export const ATTRS = ['href', 'title', 'aria-label'];

const isSkip = (el: Element): boolean => {
  const ce = el.getAttribute('contenteditable');
  return SKIP_TAG.test(el.nodeName) || (ce !== null && ce !== 'false');
};

/** True when `node` sits inside something the widget never touches. */
export function skipped(node: Node): boolean {
  for (let el = node.nodeType === 1 ? (node as Element) : node.parentElement; el; el = el.parentElement) if (isSkip(el)) return true;
  return false;
}

/** The nearest ancestor (or self) that is not inline: the smallest root that holds a whole split number. */
export function blockOf(node: Node): Node {
  let n: Node = node.nodeType === 1 ? node : (node.parentNode ?? node);
  while (n.parentNode && INLINE.test(n.nodeName)) n = n.parentNode;
  return n;
}

/** Swaps every table number under `root`. Idempotent: swapped numbers are no longer in the table's keys. */
export function scan(root: Node, table: Table): void {
  if (!table.size || skipped(root)) return;
  let run: Text[] = [];
  const flush = () => {
    if (run.length) {
      const out = swapParts(
        run.map((t) => t.data),
        table,
      );
      if (out)
        run.forEach((t, k) => {
          if (t.data !== out[k]) t.data = out[k] as string;
        });
      run = [];
    }
  };
  // No NodeFilter callback: calling into JS for every node costs more than the whole swap. Skipped subtrees are
  // stepped over by hand instead.
  const walker = document.createTreeWalker(root, 5);
  for (let n: Node | null = root; n; ) {
    if (n.nodeType === 3) {
      run.push(n as Text);
      n = walker.nextNode();
      continue;
    }
    if (n.nodeType !== 1) {
      n = walker.nextNode();
      continue;
    }
    const el = n as Element;
    if (n !== root && isSkip(el)) {
      flush();
      walker.currentNode = n;
      n = null;
      do n = walker.nextSibling();
      while (!n && walker.parentNode());
      continue;
    }
    if (!INLINE.test(el.nodeName)) flush();
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v) {
        const s = a === 'href' ? (telHref(v, table) ?? v) : swapText(v, table);
        if (s !== v) el.setAttribute(a, s);
      }
    }
    n = walker.nextNode();
  }
  flush();
}
