import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { newId } from '../../shared/ids.js';
import { displayPrefix, hashToken, newSecretToken } from '../auth/tokens.js';

describe('sites API', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  let otherKey: string;

  before(async () => {
    gw = await startTestGateway(t.db);
    // A second tenant, created directly in the database.
    const accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'Other' });
    otherKey = newSecretToken('ctk_');
    await t.db.knex('api_keys').insert({
      id: newId(),
      account_id: accountId,
      name: 'k',
      role: 'owner',
      display_prefix: displayPrefix(otherKey),
      key_hash: hashToken(otherKey),
    });
  });
  after(() => gw.stop());

  it('creates, reads, patches and deletes a site', async () => {
    const res = await gw.api('/v1/sites', {
      method: 'POST',
      json: {
        name: 'Shop',
        publicKey: 'shop-1',
        domains: ['shop.example', '*.shop.example'],
        canonicalNumbers: ['+74951234567'],
        timezone: 'Europe/Moscow',
        settings: { whisper: true },
      },
    });
    expect(res.status).to.equal(201);
    const site = (await res.json()) as { id: string; settings: Record<string, unknown>; defaultForwardTo: string | null };
    expect(site.settings.whisper).to.equal(true);
    expect(site.settings.recordCalls).to.equal(true);

    const patched = await gw.api(`/v1/sites/${site.id}`, {
      method: 'PATCH',
      json: { defaultForwardTo: '+74950000000', settings: { recordingAnnouncement: 'Calls are recorded' } },
    });
    const p = (await patched.json()) as typeof site;
    expect(p.defaultForwardTo).to.equal('+74950000000');
    expect(p.settings.whisper, 'absent keys are left alone').to.equal(true);
    expect(p.settings.recordingAnnouncement).to.equal('Calls are recorded');

    const cleared = (await (
      await gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { defaultForwardTo: null, settings: { recordingAnnouncement: null } } })
    ).json()) as typeof site;
    expect(cleared.defaultForwardTo).to.equal(null);
    expect(cleared.settings.recordingAnnouncement).to.equal(null);

    expect((await gw.api(`/v1/sites/${site.id}`, { method: 'DELETE' })).status).to.equal(204);
    expect((await gw.api(`/v1/sites/${site.id}`)).status).to.equal(404);
  });

  it('has the analytics settings with their defaults, and refuses a currency that is not ISO 4217', async () => {
    const res = await gw.api('/v1/sites', { method: 'POST', json: { name: 'Analytics' } });
    expect(res.status).to.equal(201);
    const site = (await res.json()) as { id: string; settings: Record<string, unknown> };
    expect(site.settings).to.include({ currency: 'USD', targetCallMinTalkSeconds: 30, leadWindowHours: 24, firstTimeWindowDays: null });
    const patch = (settings: Record<string, unknown>) => gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { settings } });
    const ok = await patch({ currency: 'RUB', targetCallMinTalkSeconds: 45, leadWindowHours: 72, firstTimeWindowDays: 90 });
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as { settings: Record<string, unknown> }).settings).to.include({
      currency: 'RUB',
      targetCallMinTalkSeconds: 45,
      leadWindowHours: 72,
      firstTimeWindowDays: 90,
    });
    const bad = await patch({ currency: 'XYZ' });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { details: { path: string }[] }).details[0]!.path).to.equal('body/settings/currency');
    expect((await patch({ currency: 'rub' })).status).to.equal(400);
    expect((await patch({ leadWindowHours: -1 })).status).to.equal(400);
    expect((await gw.api('/v1/sites', { method: 'POST', json: { name: 'x', settings: { currency: 'ABC' } } })).status).to.equal(400);
    const back = (await gw.api(`/v1/sites/${site.id}`).then((r) => r.json())) as { settings: Record<string, unknown> };
    expect(back.settings.currency, 'a refused change stores nothing').to.equal('RUB');
  });

  it('keeps a per-site cap of pool numbers per client address (null: the gateway default)', async () => {
    const site = (await gw.api('/v1/sites', { method: 'POST', json: { name: 'Caps' } }).then((r) => r.json())) as {
      id: string;
      settings: Record<string, unknown>;
    };
    expect(site.settings.maxNumbersPerAddress).to.equal(null);
    const patch = (settings: Record<string, unknown>) => gw.api(`/v1/sites/${site.id}`, { method: 'PATCH', json: { settings } });
    const ok = await patch({ maxNumbersPerAddress: 2 });
    expect(((await ok.json()) as { settings: Record<string, unknown> }).settings.maxNumbersPerAddress).to.equal(2);
    const bad = await patch({ maxNumbersPerAddress: 1001 });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { details: { path: string }[] }).details[0]!.path).to.equal('body/settings/maxNumbersPerAddress');
    expect((await patch({ maxNumbersPerAddress: 1.5 })).status).to.equal(400);
  });

  it('refuses a taken public key with 409 and an unknown time zone with 400', async () => {
    expect((await gw.api('/v1/sites', { method: 'POST', json: { name: 'A', publicKey: 'dup-key' } })).status).to.equal(201);
    expect((await gw.api('/v1/sites', { method: 'POST', json: { name: 'B', publicKey: 'dup-key' } })).status).to.equal(409);
    expect((await gw.api('/v1/sites', { method: 'POST', json: { name: 'C', timezone: 'Mars/Olympus' } })).status).to.equal(400);
  });

  it("never lets one account read or change another's sites", async () => {
    const mine = (await (await gw.api('/v1/sites', { method: 'POST', json: { name: 'Mine' } })).json()) as { id: string };
    const theirs = (await (await gw.api('/v1/sites', { method: 'POST', key: otherKey, json: { name: 'Theirs' } })).json()) as { id: string };

    const list = (await (await gw.api('/v1/sites', { key: otherKey })).json()) as { items: { id: string }[] };
    expect(list.items.map((s) => s.id)).to.deep.equal([theirs.id]);
    expect((await gw.api(`/v1/sites/${mine.id}`, { key: otherKey })).status).to.equal(404);
    expect((await gw.api(`/v1/sites/${mine.id}`, { key: otherKey, method: 'PATCH', json: { name: 'pwned' } })).status).to.equal(404);
    expect((await gw.api(`/v1/sites/${mine.id}`, { key: otherKey, method: 'DELETE' })).status).to.equal(404);
    expect(((await (await gw.api(`/v1/sites/${mine.id}`)).json()) as { name: string }).name).to.equal('Mine');
  });
});
