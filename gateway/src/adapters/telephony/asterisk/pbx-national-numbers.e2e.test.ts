import { expect } from 'chai';
import { LoopbackAmiServer } from '../../../../test/helpers/ami-server.js';
import { createTestConfig } from '../../../../test/helpers/config.js';
import { useTestDatabase } from '../../../../test/helpers/db.js';
import { startTestGateway } from '../../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../../test/helpers/gateway.js';
import { renumberCapture } from '../../../../test/helpers/renumber-capture.js';
import { readSharedFixture } from '../../../../test/helpers/shared-fixtures.js';
import type { AsteriskConfig } from '../../../config.js';
import { messageFromLines, splitCaptureBlocks } from './ami-message.js';

const until = LoopbackAmiServer.until;
const original = readSharedFixture('ami', 'asterisk-pjsip-freepbx_answered-internal.txt');

/** The capture's events with its numbers rewritten, and its Uniqueids made distinct per call. */
function call(did: string, caller: string, seq: string): string[][] {
  const text = renumberCapture(original, { '1986': did, '21': caller }).replaceAll('1770888534.', `17708885${seq}.`);
  return splitCaptureBlocks(text).filter((b) => messageFromLines(b)['event'] !== undefined);
}

function amiConfig(port: number, defaultCountry: AsteriskConfig['defaultCountry']): AsteriskConfig {
  return {
    host: '127.0.0.1',
    port,
    username: 'gateway',
    secret: 'right',
    auth: 'plain',
    inboundContexts: ['from-internal'],
    didSource: 'exten',
    recordingsDir: null,
    recordingsUrl: null,
    defaultCountry,
  };
}

interface ApiCall {
  providerCallId: string;
  trackingNumber: string;
  caller: string;
  siteId: string | null;
}

async function calls(gw: TestGateway): Promise<ApiCall[]> {
  return ((await (await gw.api('/v1/calls')).json()) as { items: ApiCall[] }).items;
}

describe('PBX numbers in national formats, read in the site country', function () {
  this.timeout(30_000);
  const db = useTestDatabase();

  it('a Russian site: 8-495 and 10-digit DIDs find the tracking number, 8-916 callers are stored in E.164; an unknown DID is counted', async () => {
    const ami = await LoopbackAmiServer.start({ username: 'gateway', secret: 'right' });
    // No AMI_DEFAULT_COUNTRY: the site's country alone resolves the national formats.
    const gw = await startTestGateway(db.db, { config: createTestConfig({ asterisk: amiConfig(ami.port, null) }) });
    try {
      const site = (await (
        await gw.api('/v1/sites', { method: 'POST', json: { name: 'Москва', settings: { country: 'RU', locale: 'ru' } } })
      ).json()) as { id: string; settings: { country: string } };
      expect(site.settings.country).to.equal('RU');
      const made = await gw.api('/v1/tracking-numbers', {
        method: 'POST',
        json: { e164: '+74951234561', provider: 'asterisk', siteId: site.id, forwardTo: '+74957654321' },
      });
      expect(made.status).to.equal(201);
      await until(() => gw.container.services.routing.current.numbers.has('+74951234561'), 5_000, 'routing table reloaded');
      await until(() => gw.container.asterisk?.connected === true, 5_000, 'AMI connected');

      ami.broadcast(call('84951234561', '89161234567', '01'));
      ami.broadcast(call('4951234561', '9161234567', '02'));
      ami.broadcast(call('84997770000', '89161234567', '03'));
      const deadline = Date.now() + 10_000;
      while ((await calls(gw)).length < 2 || (gw.container.asterisk?.unmatched ?? 0) < 1) {
        if (Date.now() > deadline) throw new Error('calls not stored in time');
        await new Promise((r) => setTimeout(r, 50));
      }

      const stored = (await calls(gw)).sort((a, b) => a.providerCallId.localeCompare(b.providerCallId));
      expect(stored.map((c) => [c.providerCallId, c.trackingNumber, c.caller, c.siteId])).to.deep.equal([
        ['1770888501.43', '+74951234561', '+79161234567', site.id],
        ['1770888502.43', '+74951234561', '+79161234567', site.id],
      ]);
      const metrics = await (await gw.api('/metrics')).text();
      expect(metrics).to.match(/^gateway_asterisk_unmatched_did_total 1$/m);

      // A country that has no numbering plan, or is not upper-case ISO 3166-1, is a 400 in the one error shape.
      const res = await gw.api('/v1/sites', { method: 'POST', json: { name: 'x', settings: { country: 'XX' } } });
      expect(res.status).to.equal(400);
      expect(await res.json()).to.include.keys('id', 'name', 'message', 'details');
      expect((await gw.api('/v1/sites', { method: 'POST', json: { name: 'x', settings: { country: 'ru' } } })).status).to.equal(400);
    } finally {
      await gw.stop();
      await ami.close();
    }
  });
});
