import { expect } from 'chai';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';

function sessionCookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  const m = /ct_session=([^;]+)/.exec(set);
  if (!m?.[1]) throw new Error(`no session cookie in "${set}"`);
  return `ct_session=${m[1]}`;
}

describe('identity and access', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db);
  });
  after(() => gw.stop());

  it('logs a console user in with a secure, HttpOnly, SameSite cookie and out again', async () => {
    const email = gw.container.config.bootstrap.email;
    const bad = await gw.api('/v1/auth/login', { key: null, method: 'POST', json: { email, password: 'wrong password' } });
    expect(bad.status).to.equal(401);

    const res = await gw.api('/v1/auth/login', {
      key: null,
      method: 'POST',
      json: { email: email.toUpperCase(), password: 'correct horse battery' },
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('set-cookie')).to.match(/HttpOnly; SameSite=Strict/);
    const cookie = sessionCookieOf(res);
    const me = (await (await gw.api('/v1/me', { key: null, headers: { cookie } })).json()) as { role: string; via: string };
    expect(me).to.include({ role: 'owner', via: 'session' });

    expect((await gw.api('/v1/auth/logout', { key: null, method: 'POST', headers: { cookie } })).status).to.equal(204);
    expect((await gw.api('/v1/me', { key: null, headers: { cookie } })).status).to.equal(401);
  });

  it('stores API keys hashed, shows them once, and stops accepting a revoked key', async () => {
    const created = (await (await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'ci', role: 'admin' } })).json()) as {
      key: { id: string; displayPrefix: string };
      token: string;
    };
    expect(created.token).to.match(/^ctk_[A-Za-z0-9_-]{43}$/);
    const rows = await t.db.knex('api_keys').where({ id: created.key.id });
    expect(rows[0].key_hash).to.have.length(64);
    expect(JSON.stringify(rows)).not.to.include(created.token);
    const list = (await (await gw.api('/v1/api-keys')).json()) as { items: Record<string, unknown>[] };
    expect(JSON.stringify(list)).not.to.include(created.token);

    expect((await gw.api('/v1/me', { key: created.token })).status).to.equal(200);
    expect((await gw.api(`/v1/api-keys/${created.key.id}`, { method: 'DELETE' })).status).to.equal(204);
    expect((await gw.api('/v1/me', { key: created.token })).status).to.equal(401);
  });

  it('never lets a key create a more powerful key', async () => {
    const admin = (await (await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'a', role: 'admin' } })).json()) as { token: string };
    const res = await gw.api('/v1/api-keys', { key: admin.token, method: 'POST', json: { name: 'escalate', role: 'owner' } });
    expect(res.status).to.equal(403);
  });

  it('keeps at least one owner', async () => {
    const me = (await (await gw.api('/v1/me')).json()) as { userId: string };
    const res = await gw.api(`/v1/users/${me.userId}`, { method: 'PATCH', json: { role: 'admin' } });
    expect(res.status).to.equal(400);
  });

  it('adds a manager who can log in but not manage users', async () => {
    const created = await gw.api('/v1/users', {
      method: 'POST',
      json: { email: 'm@example.com', role: 'manager', password: 'a long enough password' },
    });
    expect(created.status).to.equal(201);
    const login = await gw.api('/v1/auth/login', { key: null, method: 'POST', json: { email: 'm@example.com', password: 'a long enough password' } });
    const cookie = sessionCookieOf(login);
    expect((await gw.api('/v1/users', { key: null, headers: { cookie } })).status).to.equal(403);
    expect((await gw.api('/v1/sites', { key: null, headers: { cookie } })).status).to.equal(200);
  });

  it("makes a user's keys follow the user: demoted keys are demoted, a disabled user's keys are refused", async () => {
    const created = await gw.api('/v1/users', {
      method: 'POST',
      json: { email: 'admin-keys@example.com', role: 'admin', password: 'a long enough password' },
    });
    const user = (await created.json()) as { id: string };
    const login = await gw.api('/v1/auth/login', {
      key: null,
      method: 'POST',
      json: { email: 'admin-keys@example.com', password: 'a long enough password' },
    });
    const cookie = sessionCookieOf(login);
    const made = await gw.api('/v1/api-keys', { key: null, headers: { cookie }, method: 'POST', json: { name: 'admin-ci', role: 'admin' } });
    expect(made.status).to.equal(201);
    const { token } = (await made.json()) as { token: string };
    const site = (n: string) =>
      gw.api('/v1/sites', { key: token, method: 'POST', json: { name: n, domains: [`${n}.example`], canonicalNumbers: [], timezone: 'UTC' } });
    const addUser = (email: string) =>
      gw.api('/v1/users', { key: token, method: 'POST', json: { email, role: 'admin', password: 'a long enough password' } });
    expect((await site('before')).status).to.equal(201);

    expect((await gw.api(`/v1/users/${user.id}`, { method: 'PATCH', json: { role: 'analyst' } })).status).to.equal(200);
    expect(((await (await gw.api('/v1/me', { key: token })).json()) as { role: string }).role).to.equal('analyst');
    expect((await site('demoted')).status).to.equal(403);
    expect((await addUser('escalated@example.com')).status).to.equal(403);

    expect((await gw.api(`/v1/users/${user.id}`, { method: 'PATCH', json: { role: 'admin', disabled: true } })).status).to.equal(200);
    expect((await gw.api('/v1/me', { key: token })).status).to.equal(401);
    expect((await site('disabled')).status).to.equal(401);
    expect((await addUser('escalated2@example.com')).status).to.equal(401);

    // Enabled again, the key acts with the user's role again (never above the role it was made with).
    expect((await gw.api(`/v1/users/${user.id}`, { method: 'PATCH', json: { disabled: false, role: 'owner' } })).status).to.equal(200);
    expect(((await (await gw.api('/v1/me', { key: token })).json()) as { role: string }).role).to.equal('admin');
    expect((await gw.api(`/v1/users/${user.id}`, { method: 'PATCH', json: { role: 'manager' } })).status).to.equal(200);
  });

  it('ends the other console sessions when a password is changed or reset', async () => {
    await gw.api('/v1/users', { method: 'POST', json: { email: 'pw@example.com', role: 'admin', password: 'first long password' } });
    const login = async (password: string) => gw.api('/v1/auth/login', { key: null, method: 'POST', json: { email: 'pw@example.com', password } });
    const a = sessionCookieOf(await login('first long password'));
    const b = sessionCookieOf(await login('first long password'));
    const me = (await (await gw.api('/v1/me', { key: null, headers: { cookie: a } })).json()) as { userId: string };
    const change = await gw.api(`/v1/users/${me.userId}`, {
      key: null,
      headers: { cookie: a },
      method: 'PATCH',
      json: { password: 'second long password' },
    });
    expect(change.status).to.equal(200);
    expect((await gw.api('/v1/me', { key: null, headers: { cookie: a } })).status, 'the session that changed it').to.equal(200);
    expect((await gw.api('/v1/me', { key: null, headers: { cookie: b } })).status, 'another session').to.equal(401);
    // Reset by an owner: every session of the user ends.
    expect((await gw.api(`/v1/users/${me.userId}`, { method: 'PATCH', json: { password: 'third long password' } })).status).to.equal(200);
    expect((await gw.api('/v1/me', { key: null, headers: { cookie: a } })).status).to.equal(401);
    expect((await login('third long password')).status).to.equal(200);
  });

  it('refuses console-cookie writes (body-less POSTs included) sent from another origin', async () => {
    const email = gw.container.config.bootstrap.email;
    const cookie = sessionCookieOf(await gw.api('/v1/auth/login', { key: null, method: 'POST', json: { email, password: 'correct horse battery' } }));
    const retry = (headers: Record<string, string>) =>
      gw.api('/v1/outbox/01NOSUCHROW/retry', { key: null, method: 'POST', headers: { cookie, ...headers } });
    expect((await retry({ origin: 'https://evil.example' })).status).to.equal(403);
    expect((await retry({ origin: 'null' })).status).to.equal(403);
    expect((await retry({ 'sec-fetch-site': 'cross-site' })).status).to.equal(403);
    expect((await retry({ 'sec-fetch-site': 'same-site' })).status, 'a sibling host of the same site').to.equal(403);
    expect((await retry({ origin: gw.baseUrl })).status, 'from the console itself').to.equal(404);
    expect((await retry({ 'sec-fetch-site': 'same-origin' })).status).to.equal(404);
    // API keys are no ambient credential: no Origin rule for them.
    expect((await gw.api('/v1/outbox/01NOSUCHROW/retry', { method: 'POST', headers: { origin: 'https://evil.example' } })).status).to.equal(404);
    expect((await gw.api('/v1/auth/logout', { key: null, method: 'POST', headers: { cookie, origin: 'https://evil.example' } })).status).to.equal(
      403,
    );
    expect((await gw.api('/v1/me', { key: null, headers: { cookie } })).status, 'the forged logout did nothing').to.equal(200);
  });

  it('bootstraps only once, even when asked again', async () => {
    expect(await gw.container.bootstrap()).to.equal(null);
    const owners = await t.db.knex('users').where({ role: 'owner' });
    expect(owners).to.have.length(1);
  });
});

describe('login limits', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db, { config: createTestConfig({ http: { trustProxy: true } }) });
  });
  after(() => gw.stop());
  const login = (email: string, password: string, ip: string) =>
    gw.api('/v1/auth/login', { key: null, method: 'POST', headers: { 'x-forwarded-for': ip }, json: { email, password } });

  it("slows the address guessing a user's password and never locks the user out from their own", async () => {
    const email = gw.container.config.bootstrap.email;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login(email, `guess ${i} wrong password`, '203.0.113.5')).status);
    expect(statuses.slice(0, 5)).to.deep.equal([401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).to.include(429);
    expect((await login(email, 'correct horse battery', '203.0.113.5')).status, 'the guessing address waits').to.equal(429);
    expect((await login(email, 'correct horse battery', '198.51.100.7')).status, 'the real user').to.equal(200);
  });

  it('answers an unknown email no faster than a wrong password (no user enumeration by timing)', async () => {
    const email = gw.container.config.bootstrap.email;
    const time = async (e: string, ip: string) => {
      const t0 = process.hrtime.bigint();
      expect((await login(e, 'not the password at all', ip)).status).to.equal(401);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time(email, `192.0.2.${i + 10}`));
      unknown.push(await time(`nobody-${i}@example.com`, `192.0.2.${i + 10}`));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    // Both run one scrypt (tens of milliseconds); without it an unknown email answers in about a millisecond.
    expect(median(unknown)).to.be.above(median(known) * 0.4);
  });
});
