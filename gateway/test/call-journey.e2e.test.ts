import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { seedDemo } from '../src/demo/demo-seed.js';
import { makeWav } from '../src/features/recordings/audio-info.js';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';
import { createTestRedis } from './helpers/redis.js';
import { testEnv } from './helpers/test-env.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from './helpers/twilio-webhooks.js';

/**
 * One visitor's whole journey through the real gateway: the widget's session call leases a pool number, a Twilio
 * call to that number is routed, attributed to the visitor, recorded, fetched from Twilio's media endpoint, played
 * back, and delivered to the CRM webhook with a signed recording link that plays without a login.
 */

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'e'.repeat(32);
const PUBLIC = 'https://calls.example.com';
const WEBHOOK_SECRET = `whsec_${Buffer.from('journey-test-secret-0123456789').toString('base64')}`;

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// Both runtime modes: leases in SQL (embedded), and in Redis when a test Redis is given.
const modes: ('sql' | 'redis')[] = testEnv.redisUrl ? ['sql', 'redis'] : ['sql'];

for (const mode of modes)
  describe(`a call from a website visitor, end to end (${mode} leases)`, function () {
    this.timeout(60_000);
    const t = useTestDatabase();
    let gw: TestGateway;
    const audio = makeWav({ seconds: 7, channels: 2 });
    const deliveries: Delivery[] = [];
    const media = createServer((req, res) => {
      const ok = req.headers.authorization === `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      if (!ok) return res.writeHead(401).end();
      if (req.method === 'GET' && /\/Recordings\/RE\w+\.wav$/.test(req.url ?? '')) {
        return res.writeHead(200, { 'content-type': 'audio/x-wav', 'content-length': audio.length }).end(audio);
      }
      res.writeHead(404).end();
    });
    const crm = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    let mediaOrigin: string;

    before(async () => {
      mediaOrigin = await listen(media);
      const crmUrl = await listen(crm);
      const base = createTestConfig({ http: { publicBaseUrl: new URL(PUBLIC) }, twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
      const config = {
        ...base,
        redis: mode === 'redis' ? { url: testEnv.redisUrl!, keyPrefix: `j${randomBytes(4).toString('hex')}:` } : null,
        recordings: { ...base.recordings, twilioMediaOrigins: [mediaOrigin] },
        leads: { ...base.leads, webhook: { url: `${crmUrl}/leads`, secret: WEBHOOK_SECRET } },
      };
      gw = await startTestGateway(t.db, { config });
      await seedDemo(t.db.knex);
      await gw.container.services.leases.syncAll();
      await gw.container.services.routing.refresh();
    });
    after(async () => {
      const prefix = gw.container.config.redis?.keyPrefix;
      await gw.stop();
      if (prefix) {
        const r = await createTestRedis();
        for await (const keys of r.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await r.client.del(keys);
        await r.dispose();
      }
      await Promise.all([new Promise((r) => media.close(r)), new Promise((r) => crm.close(r))]);
    });

    it('leases the visitor a number, attributes the call to them, stores the recording and tells the CRM', async () => {
      // The widget asks for numbers for a newsletter visit (no ad click): a session-pool number for each site number.
      const sessionRes = await fetch(`${gw.baseUrl}/v1/dni/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'http://localhost:8080' },
        body: JSON.stringify({ site: 'demo', url: 'http://localhost:8080/spring-sale?utm_source=newsletter&utm_medium=email', referrer: '' }),
      });
      expect(sessionRes.status).to.equal(200);
      const session = (await sessionRes.json()) as { session: string; swaps: { from: string; to: string }[] };
      const us = session.swaps.find((s) => s.from === '+14155550100');
      expect(us?.to).to.match(/^\+1415555010[1-5]$/);

      // Twilio calls the gateway for that number; the caller is connected to the business at once.
      const tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
      const callSid = randomSid('CA');
      const caller = '+15557654321';
      const voice = await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: caller, to: us!.to }));
      expect(voice.status).to.equal(200);
      const twiml = await voice.text();
      expect(twiml).to.match(/<Dial[^>]*answerOnBridge="true"/);
      expect(twiml).to.include('+14155550199');

      // Status, dial and recording callbacks, as Twilio sends them (the recording lives at its media endpoint).
      for (const cb of answeredCallCallbacks({
        accountSid: ACCOUNT_SID,
        callSid,
        from: caller,
        to: us!.to,
        forwardTo: '+14155550199',
        talkSeconds: 7,
      })) {
        const params = Object.fromEntries(Object.entries(cb.params).map(([k, v]) => [k, v.replace('https://api.twilio.com', mediaOrigin)]));
        expect((await tw.post(cb.path, params)).status, cb.path).to.be.oneOf([200, 204]);
      }

      const row = await eventually(
        async () => {
          const r = await t.db.knex('calls').where({ provider: 'twilio', provider_call_id: callSid }).first();
          return r?.status === 'ended' ? r : null;
        },
        20_000,
        'the ended call',
      );
      expect(row.outcome).to.equal('completed');
      expect(row.session_id, 'attributed to the visitor who held the number').to.equal(session.session);
      expect(row.talk_seconds).to.equal(7);

      // The recording is copied from Twilio, verified, and plays from our storage.
      await eventually(
        async () => {
          await gw.container.services.recordingIntake.runOnce();
          return (await t.db.knex('recordings').where({ call_id: row.id, status: 'stored' }).first()) ?? null;
        },
        20_000,
        'the stored recording',
      );
      const playback = await gw.api(`/v1/calls/${row.id}/recording`);
      expect(playback.status).to.equal(200);
      expect(Buffer.from(await playback.arrayBuffer()).equals(audio)).to.equal(true);

      // The CRM webhook hears of the call's start, its end and its recording, signed per Standard Webhooks.
      const types = () => deliveries.map((d) => (JSON.parse(d.body) as { type: string }).type);
      await eventually(async () => types().includes('call.recording_ready'), 20_000, 'the recording_ready lead event');
      expect(types()).to.include.members(['call.started', 'call.completed', 'call.recording_ready']);
      const key = Buffer.from(WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
      for (const d of deliveries) {
        const signed = `${d.headers['webhook-id']}.${d.headers['webhook-timestamp']}.${d.body}`;
        expect(d.headers['webhook-signature']).to.equal(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
      }
      const ready = deliveries
        .map((d) => JSON.parse(d.body) as { type: string; data: { recording_url: string; caller: string } })
        .find((e) => e.type === 'call.recording_ready');
      const link = new URL(ready!.data.recording_url);
      expect(link.origin).to.equal(PUBLIC);
      const viaLink = await fetch(`${gw.baseUrl}${link.pathname}${link.search}`);
      expect(viaLink.status).to.equal(200);
      expect(Buffer.from(await viaLink.arrayBuffer()).equals(audio)).to.equal(true);
    });
  });
