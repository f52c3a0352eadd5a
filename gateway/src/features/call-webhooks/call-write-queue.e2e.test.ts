import { expect } from 'chai';
import { openDatabase } from '../../adapters/db/knex.js';
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
import { eventually, inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'queue-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';
const NUMBER = '+15551110001';

async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = await gw.container.registry.getSingleMetricAsString(name);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe('call writes with the queue full', function () {
  this.timeout(60_000);
  const t = useTestDatabase();

  describe('through a database proxy that stops', () => {
    let gw: TestGateway;
    let proxy: TcpProxy;
    let viaProxy: TestDatabase;
    before(async function () {
      if (!testEnv.databaseUrl || !t.db.url) {
        if (testEnv.ci) throw new Error('CI=true but TEST_DATABASE_URL is not set');
        // PGlite lives inside the process: there is no connection to cut, so the queue cannot be held full.
        this.skip();
      }
      const url = new URL(t.db.url);
      proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const db = await openDatabase({ kind: 'postgres', url: url.href, poolMax: 4 });
      viaProxy = { ...db, url: url.href, dispose: () => db.close(), onDispose: () => undefined };
      const config: Config = createTestConfig({
        http: { publicBaseUrl: new URL(PUBLIC) },
        twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
      });
      gw = await startTestGateway(viaProxy, { config, container: { callEventQueueMax: 5 } });
      const siteId = await seedSite(t.db.knex, gw.accountId);
      await seedNumber(t.db.knex, gw.accountId, { e164: NUMBER, siteId, forwardTo: '+15550000002' });
      await gw.container.services.routing.refresh();
    });
    after(async () => {
      await proxy?.start().catch(() => undefined);
      await gw?.stop();
      await viaProxy?.dispose();
      await proxy?.close();
    });

    it('still connects every caller, keeps the overflow on disk and writes every call once the database is back', async () => {
      const tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
      // The database unreachable: nothing leaves the queue, which holds 5.
      await proxy.stop();
      const sids = Array.from({ length: 20 }, () => randomSid('CA'));
      for (const [i, callSid] of sids.entries()) {
        const res = await tw.post(
          'voice',
          inboundParams({ accountSid: ACCOUNT_SID, callSid, from: `+155577702${String(i).padStart(2, '0')}`, to: NUMBER }),
        );
        expect(res.status).to.equal(200);
        expect(await res.text()).to.match(/<Dial [^>]*><Number[^>]*>\+15550000002<\/Number><\/Dial>/);
      }
      const pipeline = gw.container.services.callEvents;
      expect(pipeline.writer.totals.overflowed).to.equal(15);
      expect(await metric(gw, 'gateway_call_event_queue_overflow_total')).to.equal(15);
      expect(pipeline.pending).to.equal(20);

      await proxy.start();
      await eventually(async () => pipeline.pending === 0, 30_000, 'the queue and the overflow written');
      const rows = await t.db.knex('calls').whereIn('provider_call_id', sids).select('provider_call_id');
      expect(rows.map((r) => r.provider_call_id).sort()).to.deep.equal([...sids].sort());
      expect(pipeline.writer.totals.written).to.equal(20);
    });
  });
});
