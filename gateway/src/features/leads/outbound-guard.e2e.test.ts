import { expect } from 'chai';
import { anAttributedCall } from '../../../test/factories/calls.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { newId } from '../../shared/ids.js';
import { SecretBox } from '../../shared/secret-box.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** With no networks allowed (a production default), CRM URLs on loopback, private or metadata addresses go nowhere. */
describe('CRM sinks behind the outbound guard', function () {
  this.timeout(30_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let internal: StandIn;
  let siteId: string;

  before(async () => {
    internal = await startStandIn(() => ({ status: 200, json: { secret: 'internal service answer' } }));
    gw = await startTestGateway(t.db, { config: createTestConfig({ outboundAllowedNetworks: [] }) });
    siteId = ((await (await gw.api('/v1/sites', { method: 'POST', json: { name: 'Shop' } })).json()) as { id: string }).id;
  });
  after(async () => {
    await gw?.stop();
    await internal?.close();
  });

  const create = (kind: string, config: Record<string, unknown>, secrets: Record<string, unknown>) =>
    gw.api(`/v1/sites/${siteId}/crm-sinks`, { method: 'POST', json: { kind, name: kind, config, secrets } });

  it('refuses sink URLs that lead to loopback, link-local (metadata) or private addresses', async () => {
    for (const url of [
      `${internal.url}/hook`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/hook',
      'http://[::1]:9/hook',
      'http://localhost:9/x',
    ]) {
      const res = await create('webhook', { url }, { secret: SECRET });
      expect(res.status, url).to.equal(400);
      const body = (await res.json()) as { details: { path: string }[] };
      expect(body.details[0]!.path).to.equal('body/config/url');
    }
    const amo = await create('amocrm', { baseUrl: 'http://127.0.0.1:1' }, { accessToken: 'x'.repeat(40) });
    expect(amo.status).to.equal(400);
    expect(internal.requests).to.deep.equal([]);
  });

  it('refuses the request itself for a sink stored before (or pointed by DNS at) such an address, and echoes nothing', async () => {
    const sinkId = newId();
    const box = new SecretBox(gw.container.config.encryptionKey);
    await t.db.knex('crm_sinks').insert({
      id: sinkId,
      account_id: gw.accountId,
      site_id: siteId,
      kind: 'webhook',
      name: 'old',
      config: JSON.stringify({ url: `${internal.url}/hook` }),
      secrets_sealed: box.seal(JSON.stringify({ secret: SECRET })),
      deliver_on: ['call.started'],
      feedback_token_hash: newId(),
    });
    const { callId } = await anAttributedCall(t.db.knex, { accountId: gw.accountId, siteId });
    await t.db.knex.transaction((trx) =>
      gw.container.callChangeHook.onCallChange(trx, { accountId: gw.accountId, callId, siteId, trigger: 'call.started' }),
    );
    gw.container.outboxWorker.notify();
    await waitUntil(async () => (await t.db.knex('outbox').where({ sink_id: sinkId }).first())?.status === 'dead', 15_000, 'the refused delivery');
    const row = await t.db.knex('outbox').where({ sink_id: sinkId }).first();
    expect(row.last_error).to.match(/refused/);
    expect(row.last_error).not.to.contain('internal service answer');
    expect(internal.requests).to.deep.equal([]);
  });
});
