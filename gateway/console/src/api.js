// One way to talk to the gateway: same-origin fetch with the session cookie; errors keep the API's error shape so
// screens can say what went wrong in words (message + per-field details).

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.details = Array.isArray(body?.details) ? body.details : [];
  }
}

const listeners = new Set();
/** Called with every 401, so the shell can go back to sign-in when a session expires. */
export const onUnauthorized = (fn) => listeners.add(fn);

export async function api(path, { method = 'GET', body, query, headers = {}, raw = false } = {}) {
  const url = query ? `${path}?${toQuery(query)}` : path;
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError(0, { message: 'network' });
  }
  if (raw && res.ok) return res;
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 200) };
  }
  if (res.status === 401 && path !== '/v1/auth/login') for (const fn of listeners) fn();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function toQuery(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  return p.toString();
}

/** Every page of a cursor-paged list (small lists the console shows whole: sites, channels, pools). */
export async function all(path, query = {}) {
  const res = await api(path, { query });
  return res.items;
}
