// The console: a dependency-free page over the same API (session cookie auth). Every view reads /v1 endpoints.
const $ = (sel) => document.querySelector(sel);

async function api(path, init = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...init, headers: { 'content-type': 'application/json', ...(init.headers || {}) } });
  if (res.status === 401) throw Object.assign(new Error('unauthorized'), { status: 401 });
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw Object.assign(new Error(body?.message || res.statusText), { status: res.status, body });
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

function table(headers, rows) {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
  );
}

const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const fmtSource = (c) => {
  const a = c.attribution;
  if (!a?.method) return 'unknown';
  const score = typeof a.score === 'number' ? ` (${Math.round(a.score * 100)}%)` : '';
  return `${a.method}${score}`;
};

let live = null;

/** Live updates for the calls view: the feed pushes each call as the calls API shows it. */
function followLive(onCall) {
  if (live) live.close();
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  live = new WebSocket(`${proto}//${location.host}/v1/live`);
  live.addEventListener('message', (e) => {
    const msg = JSON.parse(e.data);
    if (msg.call) onCall(msg.type, msg.call);
  });
}

function callRow(c) {
  const row = el(
    'tr',
    { 'data-call': c.id, style: 'cursor:pointer' },
    el('td', {}, fmtTime(c.startedAt)),
    el('td', {}, c.trackingNumber),
    el('td', {}, c.caller),
    el('td', {}, c.status === 'ended' ? c.outcome || 'ended' : c.status),
    el('td', {}, c.talkSeconds ?? '—'),
    el('td', {}, fmtSource(c)),
  );
  row.addEventListener('click', () => {
    location.hash = `#/call/${c.id}`;
  });
  return row;
}

const views = {
  async calls() {
    const { items } = await api('/v1/calls?limit=50');
    const body = el('tbody', {}, ...items.map(callRow));
    followLive((_type, call) => {
      const existing = body.querySelector(`[data-call="${call.id}"]`);
      const row = callRow(call);
      if (existing) existing.replaceWith(row);
      else body.prepend(row);
    });
    const head = el(
      'thead',
      {},
      el('tr', {}, ...['Started', 'Tracking number', 'Caller', 'Outcome', 'Talk, s', 'Matched by'].map((h) => el('th', {}, h))),
    );
    return [el('h1', {}, 'Calls'), el('p', {}, 'New calls appear here as they ring.'), el('table', {}, head, body)];
  },
  async call(id) {
    const card = await api(`/v1/calls/${encodeURIComponent(id)}`);
    const c = card.call;
    const parts = [
      el('h1', {}, `Call from ${c.caller}`),
      el('p', {}, `${fmtTime(c.startedAt)} to ${c.trackingNumber}: ${c.outcome || c.status}, talk ${c.talkSeconds ?? 0} s`),
    ];
    for (const r of card.recordings) {
      if (r.playbackUrl) parts.push(el('audio', { controls: '', preload: 'none', src: r.playbackUrl }));
      else parts.push(el('p', {}, `Recording: ${r.status}`));
    }
    const j = card.journey;
    if (j) {
      parts.push(
        el('h2', {}, 'Visit'),
        table(
          ['Landing page', 'Referrer', 'Source / medium', 'Campaign', 'Keyword'],
          [[j.landingUrl || '—', j.referrer || '—', `${j.utm.source || '—'} / ${j.utm.medium || '—'}`, j.utm.campaign || '—', j.utm.term || '—']],
        ),
      );
    }
    const candidates = c.attribution?.candidates || [];
    parts.push(
      el('h2', {}, 'Why this visit'),
      table(
        ['Method', 'Score', 'Session', 'Reason'],
        candidates.map((k) => [k.method, k.score, k.sessionId || '—', k.reason || '']),
      ),
    );
    return parts;
  },
  async sites() {
    const { items } = await api('/v1/sites');
    return [
      el('h1', {}, 'Sites'),
      table(
        ['Name', 'Widget key', 'Numbers on the site', 'Domains'],
        items.map((s) => [s.name, el('code', {}, s.publicKey), s.canonicalNumbers.join(', '), s.domains.join(', ')]),
      ),
    ];
  },
  async keys() {
    const { items } = await api('/v1/api-keys');
    return [
      el('h1', {}, 'API keys'),
      table(
        ['Name', 'Role', 'Starts with', 'Last used', 'Status'],
        items.map((k) => [k.name, k.role, el('code', {}, k.displayPrefix), k.lastUsedAt || '—', k.revokedAt ? 'revoked' : 'active']),
      ),
    ];
  },
};

async function render() {
  const [name, arg] = (location.hash.replace(/^#\//, '') || 'calls').split('/');
  const view = views[name] || views.calls;
  if (name !== 'calls' && live) {
    live.close();
    live = null;
  }
  try {
    const me = await api('/v1/me');
    $('#login').hidden = true;
    $('#nav').hidden = false;
    $('#who').textContent = me.role;
    $('#view').replaceChildren(...(await view(arg)));
  } catch (err) {
    if (err.status === 401) {
      $('#nav').hidden = true;
      $('#view').replaceChildren();
      $('#login').hidden = false;
    } else {
      $('#view').replaceChildren(el('p', { role: 'alert' }, err.message));
    }
  }
}

$('#login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  try {
    await api('/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: form.get('email'), password: form.get('password') }) });
    $('#login-error').textContent = '';
    await render();
  } catch (err) {
    $('#login-error').textContent = err.status === 401 ? 'Wrong email or password' : err.message;
  }
});
$('#logout').addEventListener('click', async () => {
  await api('/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
  await render();
});
window.addEventListener('hashchange', render);
render();
