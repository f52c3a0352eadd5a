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

const views = {
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
  const name = (location.hash.replace(/^#\//, '') || 'sites').split('/')[0];
  const view = views[name] || views.sites;
  try {
    const me = await api('/v1/me');
    $('#login').hidden = true;
    $('#nav').hidden = false;
    $('#who').textContent = me.role;
    $('#view').replaceChildren(...(await view()));
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
