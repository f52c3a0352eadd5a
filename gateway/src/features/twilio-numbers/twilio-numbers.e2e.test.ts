import { expect } from 'chai';
import { seedPool, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startTwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import type { TwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import { inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';
import { newId } from '../../shared/ids.js';
import { DEFAULT_POOL_SETTINGS } from '../number-pools/pool-store-type.js';
import type { Pool } from '../number-pools/pool-store-type.js';
import { displayPrefix, hashToken, newSecretToken } from '../auth/tokens.js';

const PUBLIC = 'https://gw.example.com';

describe('Twilio numbers (real twilio client, OpenAPI-checked stand-in)', () => {
  const t = useTestDatabase();
  const creds = { accountSid: randomSid('AC'), authToken: 'number-token-0123456789abcdef' };
  const second = { accountSid: randomSid('AC'), authToken: 'second-token-0123456789abcdef' };
  let standIn: TwilioStandIn;
  let gw: TestGateway;
  let siteId: string;
  let poolId: string;

  before(async () => {
    standIn = await startTwilioStandIn(creds, { available: ['+14155550101', '+14155550102', '+16505550103'], logins: [second] });
    gw = await startTestGateway(t.db, {
      // TWILIO_API_BASE_URL pointed at the stand-in.
      config: createTestConfig({
        http: { publicBaseUrl: new URL(PUBLIC) },
        twilio: creds,
        twilioApi: { baseUrl: new URL(standIn.baseUrl), region: null, edge: null },
      }),
    });
    siteId = await seedSite(t.db.knex, gw.accountId, { defaultForwardTo: '+15550000001' });
    poolId = await seedPool(t.db.knex, gw.accountId, siteId, { kind: 'session' });
  });
  after(async () => {
    await gw.stop();
    await standIn.close();
  });
  afterEach(() => expect(standIn.problems, 'requests the OpenAPI document does not allow').to.deep.equal([]));

  it('searches available numbers by area code and pattern', async () => {
    const res = await gw.api('/v1/twilio/available-numbers?areaCode=415&contains=0102');
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { items: { e164: string }[] };
    expect(body.items.map((i) => i.e164)).to.deep.equal(['+14155550102']);
    const req = standIn.requests.at(-1)!;
    expect(req.operationId).to.equal('ListAvailablePhoneNumberLocal');
    expect(req.pathParams.CountryCode).to.equal('US');
    expect(req.query).to.include({ AreaCode: '415', Contains: '0102' });
  });

  it('buys a number into a pool with its webhooks on this gateway, routes calls to it, re-points and releases it', async () => {
    const res = await gw.api('/v1/twilio/numbers', {
      method: 'POST',
      json: { phoneNumber: '+14155550101', siteId, poolId, forwardTo: '+15550007777' },
    });
    expect(res.status).to.equal(201);
    const n = (await res.json()) as { id: string; providerRef: string; e164: string; poolId: string };
    expect(n.providerRef).to.match(/^PN[0-9a-f]{32}$/);
    expect(n.poolId).to.equal(poolId);
    const create = standIn.requests.find((r) => r.operationId === 'CreateIncomingPhoneNumber')!;
    expect(create.form).to.include({
      PhoneNumber: '+14155550101',
      VoiceUrl: `${PUBLIC}/v1/telephony/twilio/voice`,
      VoiceMethod: 'POST',
      StatusCallback: `${PUBLIC}/v1/telephony/twilio/status`,
    });

    // The routing table learnt the number at once.
    const xml = await (
      await twilioPoster(gw.baseUrl, PUBLIC, creds.authToken).post(
        'voice',
        inboundParams({ accountSid: creds.accountSid, callSid: randomSid('CA'), from: '+15557770301', to: '+14155550101' }),
      )
    ).text();
    expect(xml).to.match(/<Number[^>]*>\+15550007777<\/Number>/);

    // So did the pool: its live lease state holds the number without waiting for a resync.
    const leases = gw.container.services.leases;
    const pool = { id: poolId, accountId: gw.accountId, settings: DEFAULT_POOL_SETTINGS } as Pool;
    expect((await leases.occupancy(pool)).size, 'the pool has the bought number').to.equal(1);

    expect((await gw.api(`/v1/twilio/numbers/${n.id}/repoint`, { method: 'POST' })).status).to.equal(200);
    expect(standIn.requests.at(-1)!.operationId).to.equal('UpdateIncomingPhoneNumber');
    expect(standIn.requests.at(-1)!.pathParams.Sid).to.equal(n.providerRef);

    const moved = await gw.api(`/v1/twilio/numbers/${n.id}`, { method: 'PATCH', json: { forwardTo: '+15550008888' } });
    expect(((await moved.json()) as { forwardTo: string }).forwardTo).to.equal('+15550008888');

    expect((await gw.api(`/v1/twilio/numbers/${n.id}`, { method: 'DELETE' })).status).to.equal(204);
    expect(standIn.requests.at(-1)!.operationId).to.equal('DeleteIncomingPhoneNumber');
    expect(standIn.owned.has(n.providerRef)).to.equal(false);
    expect((await t.db.knex('tracking_numbers').where({ id: n.id }).first()).status).to.equal('released');
    expect(gw.container.services.routing.current.numbers.has('+14155550101')).to.equal(false);
    expect((await leases.occupancy(pool)).size, 'the released number left the pool').to.equal(0);
    expect((await gw.api(`/v1/twilio/numbers/${n.id}`, { method: 'DELETE' })).status).to.equal(404);
  });

  it('gives a number back to Twilio when it cannot be recorded (already tracked)', async () => {
    const first = await gw.api('/v1/twilio/numbers', { method: 'POST', json: { phoneNumber: '+16505550103', siteId } });
    expect(first.status).to.equal(201);
    const owned = standIn.owned.size;
    const again = await gw.api('/v1/twilio/numbers', { method: 'POST', json: { phoneNumber: '+16505550103', siteId } });
    expect(again.status).to.equal(409);
    expect(standIn.owned.size, 'the duplicate purchase was released').to.equal(owned);
  });

  it('refuses a pool of another site, and an account that has not connected Twilio', async () => {
    const otherSite = await seedSite(t.db.knex, gw.accountId, { name: 'Other' });
    const otherPool = await seedPool(t.db.knex, gw.accountId, otherSite, { kind: 'static' });
    expect(
      (await gw.api('/v1/twilio/numbers', { method: 'POST', json: { phoneNumber: '+14155550102', siteId, poolId: otherPool } })).status,
    ).to.equal(400);

    const accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'Second' });
    const key = newSecretToken('ctk_');
    await t.db
      .knex('api_keys')
      .insert({ id: newId(), account_id: accountId, name: 'k', role: 'owner', display_prefix: displayPrefix(key), key_hash: hashToken(key) });
    expect((await gw.api('/v1/twilio/available-numbers', { key })).status).to.equal(409);

    // Connecting stores the token encrypted, and webhooks from that Twilio account verify with it.
    expect((await gw.api('/v1/twilio/credentials', { method: 'PUT', key, json: second })).status).to.equal(200);
    const row = await t.db.knex('provider_accounts').where({ external_id: second.accountSid }).first();
    expect(row.secret_enc).not.to.contain(second.authToken);
    const xml = await (
      await twilioPoster(gw.baseUrl, PUBLIC, second.authToken).post(
        'voice',
        inboundParams({ ...second, callSid: randomSid('CA'), from: '+15557770302', to: '+15559990000' }),
      )
    ).text();
    expect(xml).to.contain('<Say ');
    // The same Twilio login cannot be claimed by another account.
    expect((await gw.api('/v1/twilio/credentials', { method: 'PUT', json: second })).status).to.equal(409);
  });
});
