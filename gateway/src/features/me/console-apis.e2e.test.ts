import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { anAttributedCall } from '../../../test/factories/calls.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import type { Principal } from '../../http/principal.js';
import { createOutboundGuard } from '../../adapters/http/outbound-guard.js';
import { InstallCheckService } from '../sites/install-check-service.js';
import { resetOwnerPassword } from '../users/owner-reset.js';

const PASSWORD = 'correct horse battery';

/** The APIs the console needs beyond the rest: profile and language, own password, notes, audit, checks, test leads. */
describe('console APIs', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  let siteId: string;
  let page: Server;
  let pageUrl = '';
  let pageHtml = '';

  const login = async (email: string, password = PASSWORD) => {
    const res = await gw.api('/v1/auth/login', { method: 'POST', key: null, json: { email, password } });
    expect(res.status, await res.clone().text()).to.equal(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  };
  const as = (cookie: string) => ({ key: null, headers: { cookie } });

  before(async () => {
    gw = await startTestGateway(t.db);
    const site = await (
      await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop', publicKey: 'shop-key', domains: ['127.0.0.1:*'] } })
    ).json();
    siteId = site.id;
    const owner: Principal = { accountId: gw.accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' };
    for (const role of ['manager', 'analyst'] as const)
      await gw.container.services.users.create(owner, { email: `${role}@example.com`, role, password: PASSWORD });
    page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(pageHtml);
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await gw.stop();
    await new Promise((r) => page.close(r));
  });

  it('answers the session probe without a 401, then keeps the language per user', async () => {
    const anon = await gw.api('/v1/me/session', { key: null });
    expect(anon.status).to.equal(200);
    expect(await anon.json()).to.deep.equal({ signedIn: false, profile: null });
    const cookie = await login('manager@example.com');
    const session = await (await gw.api('/v1/me/session', as(cookie))).json();
    expect(session.signedIn).to.equal(true);
    expect(session.profile).to.include({ email: 'manager@example.com', role: 'manager', locale: null });
    const put = await gw.api('/v1/me/settings', { ...as(cookie), method: 'PUT', json: { locale: 'ru' } });
    expect(put.status).to.equal(200);
    expect((await (await gw.api('/v1/me/profile', as(cookie))).json()).locale).to.equal('ru');
    expect((await gw.api('/v1/me/settings', { ...as(cookie), method: 'PUT', json: { locale: 'de' } })).status).to.equal(400);
  });

  it('changes the own password only with the current one, and audits it', async () => {
    const cookie = await login('analyst@example.com');
    const wrong = await gw.api('/v1/me/password', {
      ...as(cookie),
      method: 'POST',
      json: { currentPassword: 'nope', newPassword: 'another long passphrase' },
    });
    expect(wrong.status).to.equal(400);
    expect((await wrong.json()).details[0].path).to.equal('body/currentPassword');
    const short = await gw.api('/v1/me/password', { ...as(cookie), method: 'POST', json: { currentPassword: PASSWORD, newPassword: 'short' } });
    expect(short.status).to.equal(400);
    const ok = await gw.api('/v1/me/password', {
      ...as(cookie),
      method: 'POST',
      json: { currentPassword: PASSWORD, newPassword: 'another long passphrase' },
    });
    expect(ok.status).to.equal(204);
    await login('analyst@example.com', 'another long passphrase');
    expect(await t.db.knex('audit_log').where({ action: 'user.password_change' }).first()).to.not.equal(undefined);
  });

  it('keeps tags, a note and the spam mark on a call; filters the list by tag; shows the change to a manager', async () => {
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    const other = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    const manager = await login('manager@example.com');
    const empty = await (await gw.api(`/v1/calls/${callId}/notes`, as(manager))).json();
    expect(empty).to.deep.include({ tags: [], note: '', spam: false, updatedAt: null });
    const patched = await gw.api(`/v1/calls/${callId}/notes`, {
      ...as(manager),
      method: 'PATCH',
      json: { tags: ['hot', 'hot ', 'vip'], note: 'Call back at 5' },
    });
    expect(patched.status).to.equal(200);
    expect(await patched.json()).to.deep.include({ tags: ['hot', 'vip'], note: 'Call back at 5', spam: false });
    const spam = await (await gw.api(`/v1/calls/${callId}/notes`, { ...as(manager), method: 'PATCH', json: { spam: true } })).json();
    expect(spam).to.deep.include({ tags: ['hot', 'vip'], spam: true });
    const list = await (await gw.api('/v1/calls?tag=vip')).json();
    expect(list.items.map((c: { id: string }) => c.id)).to.deep.equal([callId]);
    expect((await (await gw.api('/v1/call-tags')).json()).items).to.deep.include({ tag: 'vip', calls: 1 });
    const history = await (await gw.api(`/v1/audit?targetType=call&targetId=${callId}`, as(manager))).json();
    expect(history.items.map((e: { action: string }) => e.action)).to.deep.equal(['call.notes', 'call.notes']);
    expect(history.items[1].actor.label).to.equal('manager@example.com');
    // Analysts read, never write; managers never read the whole log.
    const analyst = await login('analyst@example.com', 'another long passphrase');
    expect((await gw.api(`/v1/calls/${other.callId}/notes`, { ...as(analyst), method: 'PATCH', json: { note: 'x' } })).status).to.equal(403);
    expect((await gw.api('/v1/audit', as(manager))).status).to.equal(403);
    expect((await gw.api('/v1/calls/nope/notes', as(manager))).status).to.equal(404);
    expect((await gw.api(`/v1/calls/${callId}/notes`, { ...as(manager), method: 'PATCH', json: { tags: ['a,b'] } })).status).to.equal(400);
  });

  it('filters the audit log by action prefix and pages it', async () => {
    const all = await (await gw.api('/v1/audit?action=user.&limit=1')).json();
    expect(all.items).to.have.length(1);
    expect(all.items[0].action).to.match(/^user\./);
    const next = await (await gw.api(`/v1/audit?action=user.&limit=1&cursor=${all.nextCursor}`)).json();
    expect(next.items[0].id).to.not.equal(all.items[0].id);
  });

  it('checks an installation: the tag, its key and whether the widget answers on the page’s origin', async () => {
    pageHtml = '<html><head><script async src="https://gw.example.com/dni.js" data-site="shop-key"></script></head></html>';
    const ok = await (await gw.api(`/v1/sites/${siteId}/install-check`, { method: 'POST', json: { url: pageUrl } })).json();
    expect(ok).to.deep.include({ reachable: true, httpStatus: 200, tagFound: true, foundKey: 'shop-key', keyMatches: true, widgetAnswers: true });
    pageHtml = '<html><script data-site="other" src="/dni.js?v=2"></script></html>';
    const wrong = await (await gw.api(`/v1/sites/${siteId}/install-check`, { method: 'POST', json: { url: pageUrl } })).json();
    expect(wrong).to.deep.include({ tagFound: true, foundKey: 'other', keyMatches: false });
    pageHtml = '<html>nothing</html>';
    expect(await (await gw.api(`/v1/sites/${siteId}/install-check`, { method: 'POST', json: { url: pageUrl } })).json()).to.deep.include({
      tagFound: false,
    });
    // Without OUTBOUND_ALLOWED_NETWORKS, private addresses are refused before any request is made.
    const strict = new InstallCheckService({ db: t.db.knex, outbound: createOutboundGuard({ allowedNetworks: [] }) });
    const owner: Principal = { accountId: gw.accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' };
    const err = await strict.check(owner, siteId, pageUrl).then(
      () => null,
      (e: unknown) => e as { statusCode: number },
    );
    expect(err?.statusCode).to.equal(400);
  });

  it('queues a test lead for one CRM sink through the outbox', async () => {
    const sink = await (
      await gw.api(`/v1/sites/${siteId}/crm-sinks`, {
        method: 'POST',
        json: {
          kind: 'webhook',
          name: 'Hook',
          config: { url: 'http://127.0.0.1:9/hook' },
          secrets: { secret: `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}` },
        },
      })
    ).json();
    const res = await gw.api(`/v1/sites/${siteId}/crm-sinks/${sink.sink.id}/test`, { method: 'POST' });
    expect(res.status).to.equal(202);
    const { id, callId } = await res.json();
    const msg = await (await gw.api(`/v1/outbox/${id}`)).json();
    expect(msg).to.deep.include({ sinkId: sink.sink.id, aggregateId: callId, topic: 'crm.lead' });
    expect((await gw.api(`/v1/sites/${siteId}/crm-sinks/nope/test`, { method: 'POST' })).status).to.equal(404);
  });

  it('resets the owner password from the command line and ends their sessions', async () => {
    const email = gw.container.config.bootstrap.email;
    const before = await (await gw.api('/v1/users')).json();
    const ownerRow = before.items.find((u: { role: string }) => u.role === 'owner');
    await t.db.knex('users').where({ id: ownerRow.id }).update({ password_hash: null });
    const r = await resetOwnerPassword(t.db.knex, {});
    expect(r.email).to.equal(email);
    expect(r.generated).to.equal(true);
    await login(email, r.password);
    const chosen = await resetOwnerPassword(t.db.knex, { email: email.toUpperCase(), password: 'chosen by the operator' });
    expect(chosen.generated).to.equal(false);
    await login(email, 'chosen by the operator');
    const sessions = (await t.db.knex('user_sessions').where({ user_id: ownerRow.id }).count('* as n').first()) as { n: string | number };
    expect(Number(sessions.n)).to.equal(1);
    await resetOwnerPassword(t.db.knex, { email: 'nobody@example.com' }).then(
      () => expect.fail('reset a missing owner'),
      (e: Error) => expect(e.message).to.include('nobody@example.com'),
    );
  });
});
