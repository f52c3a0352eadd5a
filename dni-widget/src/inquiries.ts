// The optional inquiries module: `<script async src=".../dni-inquiries.js" data-site="KEY">` beside dni.js. Reports
// submitted forms (the site's selectors or data-dni-form) with the visit of the core widget, and swaps the site's
// email address for its tracking alias. Kept out of dni.js so the core widget keeps its size budget.
import { readForm } from './form-fields.js';

interface Config {
  forms: { enabled: boolean; selectors: string[]; honeypotField: string } | null;
  email: { canonical: string; alias: string } | null;
}

const w = window;
const d = document;
const script = d.currentScript as HTMLScriptElement | null;
const started = performance.now();
const guard =
  <A extends unknown[]>(fn: (...a: A) => unknown) =>
  (...a: A): void => {
    try {
      fn(...a);
    } catch {
      // never break the host page
    }
  };

const session = (site: string): string | undefined => {
  try {
    return (JSON.parse(w.localStorage.getItem(`dni:${site}`) || 'null') as { sessionId?: string } | null)?.sessionId;
  } catch {
    return undefined;
  }
};

const g = w as unknown as { __dniInq?: Record<string, 1> };
g.__dniInq = g.__dniInq || {};
const seen = g.__dniInq;
const site = script?.dataset.site;
if (script && site && !seen[site]) {
  seen[site] = 1;
  guard(init)(script, site);
}

function init(el: HTMLScriptElement, site: string): void {
  const api = `${el.dataset.api || new URL(el.src).origin}/v1/sites/${encodeURIComponent(site)}`;
  let tries = 0;
  // The core widget may not have its session yet (first visit): ask for the config once it has, or after ~3 s.
  const load = () => {
    const sid = session(site);
    if (!sid && tries++ < 15) return void setTimeout(guard(load), 200);
    fetch(`${api}/inquiry-config${sid ? `?session=${encodeURIComponent(sid)}` : ''}`)
      .then((r) => (r.ok ? (r.json() as Promise<Config>) : null))
      .then(guard((c: Config | null) => c && start(c)))
      .catch(() => undefined);
  };
  const start = (c: Config) => {
    if (c.forms?.enabled) watchForms(c.forms);
    if (c.email) swapEmail(c.email.canonical, c.email.alias);
  };
  const watchForms = (f: NonNullable<Config['forms']>) => {
    const match = ['[data-dni-form]', ...f.selectors].join(',');
    // Capture phase on the document: forms added later by an SPA are covered, and a page handler that stops the
    // event (submitting by fetch) runs after us.
    d.addEventListener(
      'submit',
      guard((e: Event) => {
        const form = e.target as HTMLFormElement;
        if (!(form instanceof HTMLFormElement) || !form.matches(match)) return;
        const data = readForm(form, f.honeypotField);
        const body = {
          site,
          sessionId: session(site),
          subject: form.getAttribute('data-dni-form') || form.getAttribute('name') || form.id || undefined,
          pageUrl: location.href,
          secondsOnPage: Math.round((performance.now() - started) / 100) / 10,
          ...data,
        };
        fetch(`${api}/inquiries`, { method: 'POST', keepalive: true, headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body) }).catch(
          () => undefined,
        );
      }),
      true,
    );
  };
  load();
}

/** Replaces the canonical address in text and mailto: links, now and in content added later. */
function swapEmail(canonical: string, alias: string): void {
  const from = canonical.toLowerCase();
  const fix = (root: Node) => {
    const walker = d.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (let n: Node | null = root; n; n = walker.nextNode()) {
      if (n.nodeType === 3) {
        const t = n.nodeValue || '';
        if (t.toLowerCase().includes(from)) n.nodeValue = t.replace(new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), alias);
      } else if (n instanceof HTMLAnchorElement && /^mailto:/i.test(n.href) && n.href.toLowerCase().includes(from)) {
        n.href = n.href.replace(new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), alias);
      }
    }
  };
  fix(d.body);
  new MutationObserver(
    guard((rs: MutationRecord[]) => {
      for (const r of rs) for (const n of Array.from(r.addedNodes)) fix(n);
    }),
  ).observe(d.body, {
    childList: true,
    subtree: true,
  });
}
