import { expect } from 'chai';
import { seedNumber, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startTwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import type { TwilioStandIn } from '../../../test/helpers/twilio-standin.js';
import { eventually, inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';
import { newId } from '../../shared/ids.js';
import { SecretBox } from '../../shared/secret-box.js';
import { displayPrefix, hashToken, newSecretToken } from '../auth/tokens.js';

const PUBLIC = 'https://gw.example.com';

/** One tenant must not be able to break, claim or write into another tenant's Twilio traffic. */
describe('Twilio logins across tenants', () => {
  const t = useTestDatabase();
  const envLogin = { accountSid: randomSid('AC'), authToken: 'env-token-0123456789abcdef' };
  const victim = { accountSid: randomSid('AC'), authToken: 'victim-token-0123456789abcdef' };
  const attacker = { accountSid: randomSid('AC'), authToken: 'attacker-token-0123456789abcdef' };
  let standIn: TwilioStandIn;
  let gw: TestGateway;
  let victimKey: string;
  let attackerKey: string;
  let victimAccount: string;

  const tenant = async (name: string): Promise<{ accountId: string; key: string }> => {
    const accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name });
    const key = newSecretToken('ctk_');
    await t.db
      .knex('api_keys')
      .insert({ id: newId(), account_id: accountId, name: 'k', role: 'owner', display_prefix: displayPrefix(key), key_hash: hashToken(key) });
    return { accountId, key };
  };
  const put = (key: string, json: unknown) => gw.api('/v1/twilio/credentials', { method: 'PUT', key, json });

  before(async () => {
    standIn = await startTwilioStandIn(envLogin, { logins: [victim, attacker] });
    gw = await startTestGateway(t.db, {
      config: createTestConfig({
        http: { publicBaseUrl: new URL(PUBLIC) },
        twilio: envLogin,
        twilioApi: { baseUrl: new URL(standIn.baseUrl), region: null, edge: null },
      }),
    });
    const v = await tenant('Victim');
    victimAccount = v.accountId;
    victimKey = v.key;
    attackerKey = (await tenant('Attacker')).key;
  });
  after(async () => {
    await gw.stop();
    await standIn.close();
  });

  it('checks the login with one GET of the Account resource before storing it', async () => {
    const before = standIn.requests.length;
    expect((await put(victimKey, victim)).status).to.equal(200);
    const asked = standIn.requests.slice(before);
    expect(asked.map((r) => r.operationId)).to.deep.equal(['FetchAccount']);
    expect(asked[0]!.pathParams.Sid).to.equal(victim.accountSid);
    expect(standIn.problems).to.deep.equal([]);
  });

  it("refuses another tenant's SID with a made-up token, and the victim's webhooks keep verifying", async () => {
    const res = await put(attackerKey, { accountSid: victim.accountSid, authToken: 'made-up-token-0123456789abcdef' });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { name: string }).name).to.equal('BadDataError');
    const row = await t.db.knex('provider_accounts').where({ external_id: victim.accountSid }).first();
    expect(row.account_id).to.equal(victimAccount);
    const voice = await twilioPoster(gw.baseUrl, PUBLIC, victim.authToken).post(
      'voice',
      inboundParams({ accountSid: victim.accountSid, callSid: randomSid('CA'), from: '+15557770401', to: '+15559990401' }),
    );
    expect(voice.status).to.equal(200);
    standIn.problems.length = 0;
  });

  it("refuses the environment's SID to any account but the default one, even with the right token", async () => {
    expect((await put(attackerKey, envLogin)).status).to.equal(409);
    expect(await t.db.knex('provider_accounts').where({ external_id: envLogin.accountSid }).first()).to.equal(undefined);
    // A row left by an older version does not take the default account's calls either.
    await t.db.knex('provider_accounts').insert({
      id: newId(),
      account_id: victimAccount,
      provider: 'twilio',
      external_id: envLogin.accountSid,
      secret_enc: new SecretBox(gw.container.config.encryptionKey).seal('stale-token', `twilio:${envLogin.accountSid}`),
    });
    await gw.container.services.routing.refresh();
    expect(gw.container.services.routing.twilioLogin(envLogin.accountSid)?.accountId).to.equal(gw.accountId);
    await t.db.knex('provider_accounts').where({ external_id: envLogin.accountSid }).del();
    await gw.container.services.routing.refresh();
  });

  it('applies a callback only to a call of the account whose login signed it', async () => {
    expect((await put(attackerKey, attacker)).status).to.equal(200);
    const siteId = await seedSite(t.db.knex, victimAccount, { defaultForwardTo: '+15550000401' });
    await seedNumber(t.db.knex, victimAccount, { e164: '+15559990402', siteId });
    await gw.container.services.routing.refresh();
    const callSid = randomSid('CA');
    await twilioPoster(gw.baseUrl, PUBLIC, victim.authToken).post(
      'voice',
      inboundParams({ accountSid: victim.accountSid, callSid, from: '+15557770402', to: '+15559990402' }),
    );
    const call = await eventually(() => t.db.knex('calls').where({ provider_call_id: callSid }).first(), 10_000, 'the call');
    expect(call.account_id).to.equal(victimAccount);

    // The attacker signs a final status for the victim's CallSid with its own (valid) login.
    const forged = await twilioPoster(gw.baseUrl, PUBLIC, attacker.authToken).post('status', {
      AccountSid: attacker.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: callSid,
      From: '+15557770402',
      To: '+15559990402',
      Direction: 'inbound',
      CallStatus: 'busy',
      CallDuration: '0',
      SequenceNumber: '0',
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
    });
    expect(forged.status).to.equal(200);
    const after = await t.db.knex('calls').where({ provider_call_id: callSid }).first();
    expect(after.status).to.equal('ringing');

    // The victim's own final status still applies (the forged one took no idempotency key).
    await twilioPoster(gw.baseUrl, PUBLIC, victim.authToken).post('status', {
      AccountSid: victim.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: callSid,
      From: '+15557770402',
      To: '+15559990402',
      Direction: 'inbound',
      CallStatus: 'busy',
      CallDuration: '0',
      SequenceNumber: '0',
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
    });
    const ended = await t.db.knex('calls').where({ provider_call_id: callSid }).first();
    expect(ended.status).to.equal('ended');
    expect(ended.outcome).to.equal('busy');
    expect(standIn.problems).to.deep.equal([]);
  });
});
