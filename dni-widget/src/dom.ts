// DOM side of the swap: finds the blocks whose text can hold a number, joins the text of inline runs, rewrites text,
// tel: hrefs, title and aria-label.
import { CANDIDATE, swapParts, swapText, type Table, telHref } from './numbers.js';

// Never touched: code, styles, form fields, JSON-LD (a script), templates, editable content.
const SKIP = 'script,style,textarea,noscript,template,select,[contenteditable]:not([contenteditable=false])';
// Inline elements do not end a run of text, so a number split across them is still one number.
const INLINE = /^(A|B|BDI|CODE|EM|FONT|I|NOBR|SMALL|SPAN|STRONG|U)$/;
/** Attributes that may carry a number; `href` only as `tel:`. */
export const ATTRS = ['href', 'title', 'aria-label'];
const WITH_ATTRS = '[href^="tel:" i],[title],[aria-label]';

/** True when `node` sits inside something the widget never touches. */
export const skipped = (node: Node): boolean => !!(node.nodeType === 1 ? (node as Element) : node.parentElement)?.closest(SKIP);

/** The nearest ancestor (or self) that is not inline: the smallest root that holds a whole split number. */
export function blockOf(node: Node): Node {
  let n: Node = node.nodeType === 1 ? node : (node.parentNode ?? node);
  while (n.parentNode && INLINE.test(n.nodeName)) n = n.parentNode;
  return n;
}

/**
 * Swaps every table number under `root`. Idempotent: swapped numbers are no longer in the table's keys.
 *
 * Most of a page holds no number, and every DOM call from the page's still cold (interpreted) script costs: an
 * element-by-element walk with three attribute reads each was most of the widget's time on the page. So the browser
 * does the finding: its selector engine picks the elements with attributes that can hold a number, and one regular
 * expression over the subtree's text (`textContent`, the text nodes in walk order) finds where 7+ digits can be. Text
 * nodes are then only counted through to map those places to their blocks, and only those blocks are walked.
 */
export function scan(root: Node, table: Table): void {
  // A skipped root needs no test of its own: every element and block under it is skipped below.
  if (!table.size) return;
  const el = root as Element;
  const els = [...(el.querySelectorAll?.(WITH_ATTRS) || [])];
  if (el.matches?.(WITH_ATTRS)) els.push(el);
  for (const e of els)
    if (!skipped(e))
      for (const a of ATTRS) {
        const v = e.getAttribute(a);
        if (v) {
          const s = a === 'href' ? (telHref(v, table) ?? v) : swapText(v, table);
          if (s !== v) e.setAttribute(a, s);
        }
      }
  // A document's own textContent is null; its element's is the same text.
  const found = [...(root.textContent ?? document.documentElement.textContent ?? '').matchAll(CANDIDATE)];
  const blocks = new Set<Node>();
  const walker = document.createTreeWalker(root, 4);
  let at = 0;
  let k = 0;
  for (let n = root.nodeType === 3 ? root : walker.nextNode(); n && found[k]; n = walker.nextNode()) {
    const end = at + (n as Text).length;
    while (found[k] && (found[k] as RegExpExecArray).index + (found[k] as RegExpExecArray)[0].length <= at) k++;
    // Whitespace between two blocks can fall inside a match too; only a node with digits names its block.
    if (found[k] && (found[k] as RegExpExecArray).index < end && /\d/.test((n as Text).data)) blocks.add(blockOf(n));
    at = end;
  }
  for (const b of blocks) if (!skipped(b)) runs(b, table);
}

/** Swaps the numbers in the text runs under `root`: text between the starts of two non-inline elements is one run. */
function runs(root: Node, table: Table): void {
  let run: Text[] = [];
  const flush = () => {
    const out = swapParts(
      run.map((t) => t.data),
      table,
    );
    if (out)
      run.forEach((t, k) => {
        if (t.data !== out[k]) t.data = out[k] as string;
      });
    run = [];
  };
  // A filter called for every node is affordable here: only the few blocks with 7+ digits are walked.
  const walker = document.createTreeWalker(root, 5, (n) => {
    if (!(n as Element).matches?.(SKIP)) return 1;
    flush();
    return 2;
  });
  for (let n: Node | null = root; n; n = walker.nextNode())
    if (n.nodeType === 3) run.push(n as Text);
    else if (!INLINE.test(n.nodeName)) flush();
  flush();
}
