// The DNI widget entry point: one IIFE, loaded with `<script async src=".../dni.js" data-site="KEY">`.
// Every entry point is guarded: whatever happens here must never break the host page.
import { ATTRS, blockOf, scan } from './dom.js';
import { buildTable, digitsOf, type Shown, type Swap, type Table } from './numbers.js';

interface Answer {
  session?: string;
  visitor?: string;
  swaps: Swap[];
  expiresAt?: string | number;
  heartbeatSeconds?: number;
}
interface Stored {
  visitorId?: string | undefined;
  sessionId?: string | undefined;
  swaps: Swap[];
  expiresAt: number;
  /** Heartbeat interval, ms. */
  hb?: number;
}
type Cmd = (...args: unknown[]) => void;
type Dni = Cmd & { q?: IArguments[] };

const w = window as unknown as Window & { dni?: Dni; __dni?: Record<string, 1> };
const d = document;
const nav = navigator;
const ls = (() => {
  try {
    return w.localStorage;
  } catch {
    return null;
  }
})();
const guard =
  <A extends unknown[]>(fn: (...a: A) => unknown) =>
  (...a: A): void => {
    try {
      fn(...a);
    } catch {
      // never break the host page
    }
  };
const on = (t: EventTarget, type: string, fn: (e: Event) => void, opts?: AddEventListenerOptions | boolean) =>
  t.addEventListener(type, guard(fn), opts);

const script = d.currentScript as HTMLScriptElement | null;
const site = script?.dataset['site'];
w.__dni = w.__dni || {};
const seen = w.__dni;

if (script && site && !seen[site]) {
  seen[site] = 1;
  guard(init)(script, site);
}

function init(el: HTMLScriptElement, site: string): void {
  const data = el.dataset;
  const api = (data['api'] || new URL(el.src).origin) + '/v1/dni/sessions';
  const key = 'dni:' + site;
  const bot = nav.webdriver || /bot|crawl|spider|slurp|headless|preview/i.test(nav.userAgent);
  let consent = data['consent'] !== 'required';
  let swaps: Swap[] = [];
  let table: Table = new Map();
  // Numbers already on the page from an earlier answer (shown → canonical), so a newer answer replaces them too.
  const shown: Record<string, Shown> = {};
  let session: string | undefined;
  let visitor: string | undefined;
  let human = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let hb = 6e4;
  let last = 0;
  const listeners: ((s: Swap[]) => void)[] = [];
  const queue = w.dni?.q || [];

  const read = (): Stored | null => {
    try {
      const s = consent && ls && (JSON.parse(ls.getItem(key) || 'null') as Stored | null);
      return s && s.expiresAt > Date.now() ? s : null;
    } catch {
      return null;
    }
  };
  const write = (expiresAt: number) => {
    try {
      if (consent && ls) ls.setItem(key, JSON.stringify({ visitorId: visitor, sessionId: session, swaps, expiresAt, hb } satisfies Stored));
    } catch {
      // storage full or blocked: the next page asks again
    }
  };

  const rescan = (root: Node = d.documentElement) => {
    scan(root, table);
    mo.takeRecords();
  };
  const setSwaps = (next: Swap[]) => {
    table = buildTable(next, shown);
    swaps = next;
    for (const s of next) shown[s.to] = [s.from, s.toForms];
    rescan();
    reveal();
    for (const fn of listeners) guard(fn)(next);
  };

  // Late content: batch the mutations of one task into one pass per touched block.
  const pending = new Set<Node>();
  const mo = new MutationObserver(
    guard((records: MutationRecord[]) => {
      if (!table.size) return;
      for (const r of records) {
        if (r.type === 'childList')
          r.addedNodes.forEach((n) => {
            pending.add(blockOf(n));
          });
        else pending.add(blockOf(r.target));
      }
      queueMicrotask(
        guard(() => {
          // The parser adds a page node by node: a node whose parent is scanned too is covered by that scan.
          for (const n of pending) if (n.isConnected && !pending.has(n.parentNode as Node)) scan(n, table);
          pending.clear();
          mo.takeRecords();
        }),
      );
    }),
  );
  mo.observe(d.documentElement, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRS,
  });
  const hist = history as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['pushState', 'replaceState']) {
    const orig = hist[m] as (...a: unknown[]) => unknown;
    hist[m] = function (this: History, ...a: unknown[]) {
      const r = orig.apply(this, a);
      setTimeout(guard(rescan));
      return r;
    };
  }
  on(w, 'popstate', () => setTimeout(guard(rescan)));

  // Anti-flicker (opt-in with data-hide): hide phone elements only, for at most ~1 s, on the landing page.
  let style: HTMLStyleElement | null = null;
  function reveal() {
    style?.remove();
    style = null;
  }

  // A string body is sent as text/plain;charset=UTF-8 by fetch itself: a CORS simple request, no preflight.
  const post = (url: string, body: object) => fetch(url, { method: 'POST', keepalive: true, body: JSON.stringify(body) });
  const beacon = (what: string, body: object) => {
    if (session) nav.sendBeacon(api + '/' + session + '/' + what, JSON.stringify({ site, ...body }));
  };

  const allocate = () => {
    // document.cookie is a synchronous round trip to the browser's cookie store: read once.
    const jar = consent ? d.cookie : '';
    post(api, {
      site,
      // JSON drops the undefined ids: none before consent or on a first visit.
      visitor: consent ? visitor : undefined,
      session: consent ? session : undefined,
      url: location.href,
      referrer: d.referrer,
      consent,
      device: { w: screen.width, h: screen.height, touch: nav.maxTouchPoints > 0, lang: nav.language },
      // Analytics cookies (Metrica's _ym_uid, GA's _ga) for offline conversions, only with consent; the gateway checks
      // and parses them.
      // document.cookie throws only in a sandboxed frame, whose origin the gateway refuses anyway.
      clientIds: consent ? { ym: /_ym_uid=([\w.]+)/.exec(jar)?.[1], ga: /_ga=([\w.]+)/.exec(jar)?.[1] } : undefined,
    })
      .then((r) => (r.ok ? r.json() : null))
      .then(
        guard((a: Answer | null) => {
          if (!a || !Array.isArray(a.swaps)) return;
          session = a.session;
          visitor = a.visitor;
          setSwaps(a.swaps);
          beat((a.heartbeatSeconds || 60) * 1e3);
          write(a.expiresAt ? +new Date(a.expiresAt) : Date.now() + hb * 2);
          last = Date.now();
        }),
      )
      .catch(reveal);
  };
  const beat = (ms: number) => {
    clearInterval(timer);
    hb = ms;
    timer = setInterval(guard(heartbeat), ms);
  };
  // Heartbeats only while the tab is visible; the lease lapses on the server otherwise.
  const heartbeat = () => {
    if (!session || d.visibilityState !== 'visible') return;
    last = Date.now();
    post(api + '/' + session + '/heartbeat', { site })
      .then((r) => {
        // An expired or unknown session: start a new one (the visitor id keeps the history together).
        if (r.status === 404 || r.status === 410) {
          session = undefined;
          allocate();
        } else if (r.status === 200)
          // A lease extended to a new expiry keeps the next page swapping from storage.
          return r.json().then(guard((a: { expiresAt?: string | number }) => a.expiresAt && write(+new Date(a.expiresAt))));
      })
      .catch(() => undefined);
  };
  on(d, 'visibilitychange', () => {
    if (d.visibilityState === 'visible') {
      if (Date.now() - last > 6e4) heartbeat();
      wait();
    }
  });
  on(w, 'pagehide', () => beacon('leave', { t: Date.now() }));
  on(
    d,
    'click',
    (e) => {
      const a = (e.target as Element | null)?.closest?.('a[href^="tel:"]');
      if (a) beacon('tel-click', { number: '+' + digitsOf(a.getAttribute('href') || ''), t: Date.now() });
    },
    true,
  );

  // Humans only: ask for a pool number on the first pointer, scroll or key event, when a phone element becomes
  // visible, or after 3 s of a visible tab. Automation and bot user agents never ask.
  const signal = () => {
    if (human || bot) return;
    human = true;
    io?.disconnect();
    allocate();
  };
  const io = self.IntersectionObserver
    ? new IntersectionObserver(guard((es: IntersectionObserverEntry[]) => es.some((e) => e.isIntersecting) && signal()))
    : null;
  const wait = () =>
    setTimeout(
      guard(() => d.visibilityState === 'visible' && signal()),
      3e3,
    );

  const api_: Record<string, (a?: unknown) => void> = {
    rescan: (root) => rescan((root as Node) || undefined),
    onNumber: (fn) => {
      listeners.push(fn as (s: Swap[]) => void);
      if (swaps.length) guard(fn as (s: Swap[]) => void)(swaps);
    },
    consent: (v) => {
      const was = consent;
      consent = v !== false;
      // Withdrawn: forget the visitor. Granted: a stored visitor comes back, else ask once a human is seen.
      if (!consent) ls?.removeItem(key);
      else if (!was && !restore() && human) allocate();
    },
  };
  w.dni = guard((cmd: unknown, arg?: unknown) => api_[cmd as string]?.(arg)) as Dni;

  // Page two onwards: the stored answer, applied synchronously.
  const restore = (): boolean => {
    const s = read();
    if (s) {
      session = s.sessionId;
      visitor = s.visitorId;
      human = true;
      setSwaps(s.swaps);
      beat(s.hb || 6e4);
      heartbeat();
    }
    return !!s;
  };
  // Calls queued before load first, so a queued consent counts before storage is read.
  for (const args of queue) w.dni(...(args as unknown as unknown[]));
  if (!session && !restore() && !bot) {
    if (data['hide'] !== undefined) {
      style = d.createElement('style');
      style.textContent = '[data-dni],a[href^="tel:"]{visibility:hidden}';
      d.head.appendChild(style);
      setTimeout(guard(reveal), 1e3);
    }
    for (const t of ['pointerdown', 'pointermove', 'scroll', 'keydown']) on(w, t, signal, { once: true, passive: true, capture: true });
    const watch = () =>
      d.querySelectorAll('[data-dni],a[href^="tel:"]').forEach((e) => {
        io?.observe(e);
      });
    if (d.readyState === 'loading') on(d, 'DOMContentLoaded', watch);
    else watch();
    if (d.visibilityState === 'visible') wait();
  }
}
