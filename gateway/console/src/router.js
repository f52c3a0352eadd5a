// Hash routes (#/calls/ID?from=...): deep links and reloads work on a static file server, and the query string is
// the screen's state (filters, period), so a reload or a shared link shows the same thing.
import { signal } from '@preact/signals';

const parse = () => {
  const h = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = h.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs)) };
};

export const route = signal(parse());
window.addEventListener('hashchange', () => {
  route.value = parse();
});

export function href(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  return `#${path}${qs ? `?${qs}` : ''}`;
}

export function navigate(path, query, { replace = false } = {}) {
  const next = href(path, query);
  if (replace) history.replaceState(null, '', next);
  else history.pushState(null, '', next);
  route.value = parse();
}

/** Change part of the current query (filters) without a new history entry per keystroke. */
export function setQuery(patch) {
  const { path, query } = route.value;
  navigate(path, { ...query, ...patch }, { replace: true });
}

/** Match "/calls/:id" against a path; returns params or null. */
export function match(pattern, path) {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) {
      if (!b[i]) return null;
      params[a[i].slice(1)] = decodeURIComponent(b[i]);
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}
