import { expect } from 'chai';
import { displayPrefix, hashToken, newSecretToken } from '../src/features/auth/tokens.js';
import { newId } from '../src/shared/ids.js';
import { useTestDatabase } from './helpers/db.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';

/**
 * Values unique across accounts (a live tracking number, a site's public key, a user's email) answer 409 when
 * taken, and the answer never tells a tenant which other account holds the value or anything about it: it is the
 * same whoever holds it. A tracking number of the caller's own account is named as such.
 */

interface ErrorBody {
  id: string;
  name: string;
  message: string;
  details: { path?: string; message: string }[];
}

/** Two answers are the same but for the value each was about. */
const sameBut = (a: object, aValue: string, b: object, bValue: string): void => {
  expect(JSON.stringify(a).replaceAll(aValue, 'V')).to.equal(JSON.stringify(b).replaceAll(bValue, 'V'));
};

/** The answer without its per-error id. */
const comparable = async (res: Response): Promise<Omit<ErrorBody, 'id'> & { status: number }> => {
  const { id: _id, ...rest } = (await res.json()) as ErrorBody;
  return { status: res.status, ...rest };
};

describe('global unique keys do not tell one tenant what another owns', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  const tenants: { accountId: string; key: string; siteId: string; name: string }[] = [];

  before(async () => {
    gw = await startTestGateway(t.db);
    for (const name of ['Tenant B Ltd', 'Tenant C GmbH']) {
      const accountId = newId();
      await t.db.knex('accounts').insert({ id: accountId, name });
      const key = newSecretToken('ctk_');
      await t.db
        .knex('api_keys')
        .insert({ id: newId(), account_id: accountId, name: 'o', role: 'owner', display_prefix: displayPrefix(key), key_hash: hashToken(key) });
      const site = await gw.api('/v1/sites', {
        method: 'POST',
        key,
        json: { name: `${name} shop`, domains: [`${accountId.toLowerCase()}.example`] },
      });
      expect(site.status).to.equal(201);
      tenants.push({ accountId, key, name, siteId: ((await site.json()) as { id: string }).id });
    }
  });
  after(async () => {
    await gw?.stop();
  });

  it('a tracking number another account holds (active or quarantined) is "not available", the same answer for either holder', async () => {
    const [b, c] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const add = (key: string, e164: string, siteId?: string) =>
      gw.api('/v1/tracking-numbers', { method: 'POST', key, json: { e164, provider: 'twilio', ...(siteId ? { siteId } : {}) } });
    expect((await add(b.key, '+14155550161', b.siteId)).status).to.equal(201);
    const cNumber = await add(c.key, '+14155550162', c.siteId);
    expect(cNumber.status).to.equal(201);
    const cId = ((await cNumber.json()) as { id: string }).id;
    const quarantined = await gw.api(`/v1/tracking-numbers/${cId}`, { method: 'PATCH', key: c.key, json: { status: 'quarantined' } });
    expect(quarantined.status).to.equal(200);

    const ofB = await comparable(await add(gw.ownerKey, '+14155550161'));
    const ofC = await comparable(await add(gw.ownerKey, '+14155550162'));
    expect(ofB.status).to.equal(409);
    sameBut(ofB, '+14155550161', ofC, '+14155550162');
    expect(ofB.message).to.equal('+14155550161 is not available');
    for (const t of tenants) for (const secret of [t.accountId, t.siteId, t.name]) expect(JSON.stringify([ofB, ofC])).not.to.include(secret);

    // The caller's own number is named as its own; a number nobody holds is simply added.
    expect((await add(gw.ownerKey, '+14155550163')).status).to.equal(201);
    const own = await comparable(await add(gw.ownerKey, '+14155550163'));
    expect(own).to.include({ status: 409, message: "+14155550163 is already one of this account's tracking numbers" });
    // A released number is free again, for anyone.
    const bList = (await (await gw.api('/v1/tracking-numbers', { key: b.key })).json()) as { items: { id: string }[] };
    expect((await gw.api(`/v1/tracking-numbers/${bList.items[0]!.id}`, { method: 'DELETE', key: b.key })).status).to.equal(204);
    expect((await add(gw.ownerKey, '+14155550161')).status).to.equal(201);
  });

  it("a site public key or a user's email taken elsewhere gets the answer a taken one of the own account gets", async () => {
    const [b] = tenants as [(typeof tenants)[0]];
    const site = (key: string | undefined, publicKey: string) =>
      gw.api('/v1/sites', { method: 'POST', ...(key ? { key } : {}), json: { name: 'S', publicKey } });
    expect((await site(b.key, 'taken-by-b')).status).to.equal(201);
    expect((await site(undefined, 'taken-by-a')).status).to.equal(201);
    const foreignKey = await comparable(await site(undefined, 'taken-by-b'));
    const ownKey = await comparable(await site(undefined, 'taken-by-a'));
    expect(foreignKey.status).to.equal(409);
    sameBut(foreignKey, 'taken-by-b', ownKey, 'taken-by-a');

    const user = (key: string | undefined, email: string) =>
      gw.api('/v1/users', { method: 'POST', ...(key ? { key } : {}), json: { email, role: 'analyst', name: 'U' } });
    expect((await user(b.key, 'b-user@example.com')).status).to.equal(201);
    expect((await user(undefined, 'a-user@example.com')).status).to.equal(201);
    const foreignEmail = await comparable(await user(undefined, 'B-User@example.com'));
    const ownEmail = await comparable(await user(undefined, 'a-user@example.com'));
    expect(foreignEmail.status).to.equal(409);
    sameBut(foreignEmail, 'B-User@example.com', ownEmail, 'a-user@example.com');
    for (const body of [foreignKey, foreignEmail]) expect(JSON.stringify(body)).not.to.include(b.accountId).and.not.to.include(b.name);
  });
});
