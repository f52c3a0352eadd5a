import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { seedNumber, seedSite } from '../gateway/test/helpers/call-fixtures.js';
import { createTestConfig } from '../gateway/test/helpers/config.js';
import { useTestDatabase } from '../gateway/test/helpers/db.js';
import { startTestGateway } from '../gateway/test/helpers/gateway.js';
import type { TestGateway } from '../gateway/test/helpers/gateway.js';
import { eventually } from '../gateway/test/helpers/twilio-webhooks.js';
import { ROOT, freePort, startGateway, stopProcess } from './lib/gateway-process.js';
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

describe('npm run simulate-call against a plain gateway process (no Twilio variables)', function () {
  this.timeout(240_000);
  let dir: string;
  let port: number;
  let child: ChildProcess | null = null;
  const ownerKey = `ctk_${randomBytes(32).toString('base64url')}`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'simulate-'));
    port = await freePort();
    // What `npm start` runs, with the embedded database and the demo seeded (the defaults), and nothing about Twilio.
    child = await startGateway({
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', BOOTSTRAP_API_KEY: ownerKey },
      port,
      entry: ['--import', 'tsx', 'gateway/src/main.ts'],
      // A fresh embedded database is created and migrated first; slow on a busy machine.
      readyWithinMs: 150_000,
    });
  });
  after(async () => {
    if (child) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('places a signed call to the demo number and uploads a generated recording that plays', async () => {
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', 'scripts/simulate-call.ts', '--talk', '4'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dir },
      timeout: 60_000,
    });
    expect(stdout).to.match(/POST \/v1\/telephony\/twilio\/voice -> 200/);
    expect(stdout).to.match(/POST \/v1\/calls\/twilio:CA\w+\/recording \(\d+ bytes of WAV\) -> 201/);
    const callSid = /CallSid (CA\w+)/.exec(stdout)?.[1];
    const api = (p: string) => fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: `Bearer ${ownerKey}` } });
    const list = (await (await api('/v1/calls')).json()) as { items: { id: string; providerCallId: string; trackingNumber: string }[] };
    const call = list.items.find((c) => c.providerCallId === callSid);
    expect(call?.trackingNumber).to.equal('+14155550110');
    const audio = await api(`/v1/calls/${call?.id}/recording`);
    expect(audio.status).to.equal(200);
    expect(audio.headers.get('content-type')).to.equal('audio/wav');
    const bytes = Buffer.from(await audio.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('ascii')).to.equal('RIFF');
    // 4 s of 8 kHz, 16-bit, two channels, plus the 44-byte header.
    expect(bytes.length).to.equal(44 + 4 * 8000 * 2 * 2);
  });
});
