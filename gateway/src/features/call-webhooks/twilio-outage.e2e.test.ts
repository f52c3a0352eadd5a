import { expect } from 'chai';
import { openDatabase } from '../../adapters/db/knex.js';
import { createContainer } from '../../composition-root.js';
import type { Container } from '../../composition-root.js';
import type { Config } from '../../config.js';
import { seedNumber, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import type { TestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startTcpProxy } from '../../../test/helpers/tcp-proxy.js';
import type { TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import { testEnv } from '../../../test/helpers/test-env.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'outage-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';

/**
 * The gateway reaches PostgreSQL and Redis through TCP proxies on free loopback ports; the test stops them (every
 * connection cut, the ports refusing) while calls come in, then starts them again.
 */
describe('Twilio calls with PostgreSQL and Redis down', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  // Nested so its after hook (gateway down first) runs before the per-file database is dropped.
  describe('through proxies that stop', () => {
    let gw: TestGateway;
    let pgProxy: TcpProxy;
    let redisProxy: TcpProxy | null = null;
    let viaProxy: TestDatabase;
    let config: Config;
    let restarted: Container | null = null;

    before(async function () {
      if (!testEnv.databaseUrl || !t.db.url) {
        if (testEnv.ci) throw new Error('CI=true but TEST_DATABASE_URL is not set');
        // PGlite lives inside the process: there is no connection to cut.
        this.skip();
      }
      const pgUrl = new URL(t.db.url);
      pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
      pgUrl.hostname = '127.0.0.1';
      pgUrl.port = String(pgProxy.port);
      const db = await openDatabase({ kind: 'postgres', url: pgUrl.href, poolMax: 4 });
      viaProxy = { ...db, url: pgUrl.href, dispose: () => db.close(), onDispose: () => undefined };
      let redis = null;
      if (testEnv.redisUrl) {
        const r = new URL(testEnv.redisUrl);
        redisProxy = await startTcpProxy({ host: r.hostname, port: Number(r.port || 6379) });
        r.hostname = '127.0.0.1';
        r.port = String(redisProxy.port);
        redis = { url: r.href, keyPrefix: `t${ACCOUNT_SID.slice(2, 10)}:` };
      }
      config = createTestConfig({ http: { publicBaseUrl: new URL(PUBLIC) }, twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, redis });
      gw = await startTestGateway(viaProxy, { config });
      const siteId = await seedSite(t.db.knex, gw.accountId, { defaultForwardTo: '+15550000001' });
      await seedNumber(t.db.knex, gw.accountId, { e164: '+15551110001', siteId, forwardTo: '+15550000002' });
      await gw.container.services.routing.refresh();
    });
    after(async () => {
      await pgProxy?.start().catch(() => undefined);
      await redisProxy?.start().catch(() => undefined);
      await gw?.stop();
      await restarted?.stop();
      await viaProxy?.dispose();
      await pgProxy?.close();
      await redisProxy?.close();
    });

    it('still connects the caller, then writes the call once the database is back', async () => {
      const tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
      await pgProxy.stop();
      await redisProxy?.stop();

      // The database is really unreachable from the gateway.
      expect(await gw.container.services.routing.refresh()).to.equal(false);
      expect((await fetch(`${gw.baseUrl}/readyz`)).status).to.not.equal(200);

      const callSid = randomSid('CA');
      const res = await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770101', to: '+15551110001' }));
      expect(res.status).to.equal(200);
      expect(await res.text()).to.match(/<Dial [^>]*answerOnBridge="true"[^>]*><Number[^>]*>\+15550000002<\/Number><\/Dial>/);
      // Callbacks during the outage are accepted (Twilio would retry only once) and kept for later.
      for (const cb of answeredCallCallbacks({
        accountSid: ACCOUNT_SID,
        callSid,
        from: '+15557770101',
        to: '+15551110001',
        forwardTo: '+15550000002',
        talkSeconds: 12,
      })) {
        expect((await tw.post(cb.path, cb.params)).status).to.equal(200);
      }
      expect(gw.container.services.callEvents.pending).to.be.greaterThan(0);

      await pgProxy.start();
      await redisProxy?.start();
      const row = await eventually(
        async () => {
          const r = await t.db.knex('calls').where({ provider_call_id: callSid }).first();
          return r?.status === 'ended' && r.talk_seconds === 12 ? r : null;
        },
        30_000,
        'the call written after the outage',
      );
      expect(row.outcome).to.equal('completed');
      expect(await t.db.knex('calls').where({ provider_call_id: callSid }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
      await eventually(async () => (await t.db.knex('recordings').where({ call_id: row.id })).length === 1, 30_000, 'the recording reference');
      expect(await t.db.knex('recordings').where({ call_id: row.id }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
    });
    it('writes the calls it answered during the outage after a restart, from the journal on its data directory', async () => {
      const tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
      await pgProxy.stop();
      await redisProxy?.stop();
      const callSid = randomSid('CA');
      expect((await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770102', to: '+15551110001' }))).status).to.equal(
        200,
      );
      const [, , answered] = answeredCallCallbacks({
        accountSid: ACCOUNT_SID,
        callSid,
        from: '+15557770102',
        to: '+15551110001',
        forwardTo: '+15550000002',
        talkSeconds: 3,
      });
      expect((await tw.post(answered!.path, answered!.params)).status).to.equal(200);
      await eventually(async () => gw.container.services.callEvents.pending >= 2, 10_000, 'the failed writes');
      // The gateway goes away before the database comes back.
      await gw.stop();

      await pgProxy.start();
      await redisProxy?.start();
      restarted = await createContainer(config, { database: viaProxy, defaultMetrics: false });
      await restarted.start();
      const row = await eventually(
        async () => {
          const r = await t.db.knex('calls').where({ provider_call_id: callSid }).first();
          return r?.status === 'answered' ? r : null;
        },
        30_000,
        'the call answered during the outage, written by the restarted gateway',
      );
      expect(row.caller).to.equal('+15557770102');
      expect(await t.db.knex('calls').where({ provider_call_id: callSid }).count({ n: '*' }).first()).to.deep.equal({ n: 1 });
    });
  });
});
