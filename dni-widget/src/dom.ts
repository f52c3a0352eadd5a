// DOM side of the swap: walks a subtree, joins the text of inline runs, rewrites text, tel: hrefs, title and aria-label.
import { swapParts, swapText, type Table, telHref } from './numbers.js';

// Never touched: code, styles, form fields, JSON-LD (a script), templates, editable content.
const SKIP = 'script,style,textarea,noscript,template,select,[contenteditable]:not([contenteditable=false])';
// Inline elements do not end a run of text, so a number split across them is still one number.
const INLINE = /^(A|ABBR|B|BDI|BIG|CITE|CODE|EM|FONT|I|LABEL|MARK|NOBR|S|SMALL|SPAN|STRONG|SUB|SUP|TIME|U)$/;
const ATTRS = ['title', 'aria-label'];

/** True when `node` sits inside something the widget never touches. */
export const skipped = (node: Node): boolean => !!(node.nodeType === 1 ? (node as Element) : node.parentElement)?.closest(SKIP);

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
  const walker = document.createTreeWalker(root, 5, {
    acceptNode: (n) => (n.nodeType === 1 && (n as Element).matches(SKIP) ? 2 : 1),
  });
  for (let n: Node | null = root; n; n = walker.nextNode()) {
    if (n.nodeType === 3) {
      run.push(n as Text);
      continue;
    }
    if (n.nodeType !== 1) continue;
    const el = n as Element;
    if (!INLINE.test(el.nodeName)) flush();
    const href = el.getAttribute('href');
    const tel = href && telHref(href, table);
    if (tel) el.setAttribute('href', tel);
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v) {
        const s = swapText(v, table);
        if (s !== v) el.setAttribute(a, s);
      }
    }
  }
  flush();
}
