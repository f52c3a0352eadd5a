import { expect } from 'chai';
import { randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { seedNumber, seedSite } from '../gateway/test/helpers/call-fixtures.js';
import { createTestConfig } from '../gateway/test/helpers/config.js';
import { useTestDatabase } from '../gateway/test/helpers/db.js';
import { startTestGateway } from '../gateway/test/helpers/gateway.js';
import type { TestGateway } from '../gateway/test/helpers/gateway.js';
import { eventually } from '../gateway/test/helpers/twilio-webhooks.js';
import { simulateCall } from './simulate-call.js';

describe('scripts/simulate-call', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  const twilio = { accountSid: randomSid('AC'), authToken: 'simulated-token-0123456789' };

  before(async () => {
    gw = await startTestGateway(t.db, { config: createTestConfig({ twilio, http: { publicBaseUrl: new URL('https://gw.example.org') } }) });
    const siteId = await seedSite(t.db.knex, gw.accountId, {});
    await seedNumber(t.db.knex, gw.accountId, { e164: '+15551239999', siteId, forwardTo: '+15550004444' });
    await gw.container.services.routing.refresh();
  });
  after(() => gw.stop());

  for (const outcome of ['completed', 'busy'] as const) {
    it(`places a signed ${outcome} call that ends up in the call log`, async () => {
      const r = await simulateCall({
        url: gw.baseUrl,
        publicBaseUrl: 'https://gw.example.org',
        ...twilio,
        to: '+15551239999',
        from: '+15557771111',
        talkSeconds: 17,
        outcome,
      });
      expect(r.statuses.every((s) => s === 200)).to.equal(true);
      expect(r.twiml).to.contain('+15550004444');
      const call = await eventually(async () => {
        const list = (await (await gw.api('/v1/calls')).json()) as {
          items: { providerCallId: string; status: string; outcome: string; talkSeconds: number }[];
        };
        const c = list.items.find((x) => x.providerCallId === r.callSid);
        return c?.status === 'ended' ? c : null;
      });
      expect(call.outcome).to.equal(outcome);
      expect(call.talkSeconds).to.equal(outcome === 'completed' ? 17 : 0);
    });
  }
});
