import { expect } from 'chai';
import { WebSocket } from 'ws';
import { seedNumber, seedSite } from '../../../test/helpers/call-fixtures.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { testEnv } from '../../../test/helpers/test-env.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from '../../../test/helpers/twilio-webhooks.js';
import { createContainer } from '../../composition-root.js';
import type { Container } from '../../composition-root.js';
import { compile } from '../../http/validation.js';
import { liveCallMessageSchema } from './live-call-schemas.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'live-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';

interface Listener {
  readonly ws: WebSocket;
  readonly messages: { type: string; call?: { providerCallId: string; status?: string } }[];
}

function listen(baseUrl: string, key: string | null): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/v1/live`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    const messages: Listener['messages'] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

describe('live call feed', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  let second: Container | null = null;
  let secondUrl = '';
  const validate = compile(liveCallMessageSchema);

  before(async () => {
    const redis = testEnv.redisUrl ? { url: testEnv.redisUrl, keyPrefix: `t${ACCOUNT_SID.slice(2, 10)}:` } : null;
    const config = createTestConfig({ http: { publicBaseUrl: new URL(PUBLIC) }, twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, redis });
    gw = await startTestGateway(t.db, { config });
    const siteId = await seedSite(t.db.knex, gw.accountId, {});
    await seedNumber(t.db.knex, gw.accountId, { e164: '+15552220001', siteId, forwardTo: '+15550000002' });
    await gw.container.services.routing.refresh();
    if (redis) {
      // A second replica on the same database and Redis.
      second = await createContainer(config, { database: t.db, defaultMetrics: false });
      secondUrl = `http://127.0.0.1:${(await second.start()).port}`;
    }
  });
  after(async () => {
    await second?.stop();
    await gw.stop();
  });

  it('refuses sockets without a valid key', async () => {
    const err = await listen(gw.baseUrl, null).catch((e: { status?: number }) => e);
    expect((err as { status?: number }).status).to.equal(401);
    const bad = await listen(gw.baseUrl, 'ctk_not-a-key-0000000000000000000000000').catch((e: { status?: number }) => e);
    expect((bad as { status?: number }).status).to.equal(401);
  });

  it('refuses a PBX key (it may push recordings, not read calls) with 403', async () => {
    const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'pbx', role: 'pbx' } });
    expect(res.status).to.equal(201);
    const { token } = (await res.json()) as { token: string };
    const err = await listen(gw.baseUrl, token).catch((e: { status?: number }) => e);
    expect((err as { status?: number }).status).to.equal(403);
  });

  it('streams a call ringing, attributed, answered and ended, each message valid against the schema', async () => {
    const l = await listen(gw.baseUrl, gw.ownerKey);
    await eventually(async () => l.messages.some((m) => m.type === 'hello'));
    const tw = twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN);
    const callSid = randomSid('CA');
    await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770201', to: '+15552220001' }));
    for (const cb of answeredCallCallbacks({
      accountSid: ACCOUNT_SID,
      callSid,
      from: '+15557770201',
      to: '+15552220001',
      forwardTo: '+15550000002',
      talkSeconds: 5,
    })) {
      await tw.post(cb.path, cb.params);
    }
    const mine = await eventually(async () => {
      const m = l.messages.filter((x) => x.call?.providerCallId === callSid);
      return m.some((x) => x.type === 'call.ended') && m.some((x) => x.type === 'call.answered') ? m : null;
    });
    // Callbacks are applied as they are written, possibly side by side, so answered and ended may be announced in
    // either order; each message carries the call as stored, and the stored call never leaves "ended".
    expect(mine.slice(0, 2).map((m) => m.type)).to.deep.equal(['call.ringing', 'call.attributed']);
    expect(mine.slice(2).map((m) => m.type)).to.have.members(['call.answered', 'call.ended']);
    expect(mine.at(-1)?.call?.status).to.equal('ended');
    for (const m of mine) expect(validate(m), JSON.stringify(validate.errors)).to.equal(true);
    l.ws.close();
  });

  it('terminates a socket that stops answering pings', async () => {
    const feed = gw.container.services.liveFeed;
    const l = await listen(gw.baseUrl, gw.ownerKey);
    await eventually(async () => feed.connections >= 1);
    const before = feed.connections;
    // The client stops reading: it will never see the ping, so never answer it.
    (l.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    feed.sweep();
    await new Promise((r) => setImmediate(r));
    feed.sweep();
    await eventually(async () => feed.connections < before, 5_000, 'the dead socket to be dropped');
    l.ws.terminate();
  });

  it('fans out across replicas through Redis', async function () {
    if (!second) {
      if (testEnv.ci) throw new Error('CI=true but TEST_REDIS_URL is not set');
      this.skip();
    }
    const address = second!.http.server.address() as { port: number };
    const l = await listen(`http://127.0.0.1:${address.port}`, gw.ownerKey);
    await eventually(async () => l.messages.some((m) => m.type === 'hello'));
    const callSid = randomSid('CA');
    // The call arrives at the first replica; the console is connected to the second.
    await twilioPoster(gw.baseUrl, PUBLIC, AUTH_TOKEN).post(
      'voice',
      inboundParams({ accountSid: ACCOUNT_SID, callSid, from: '+15557770202', to: '+15552220001' }),
    );
    await eventually(
      async () => l.messages.some((m) => m.type === 'call.ringing' && m.call?.providerCallId === callSid),
      10_000,
      'the fanned-out message',
    );
    l.ws.close();
  });

  it('reloads the other replica’s routing table when numbers change here', async function () {
    if (!second) this.skip();
    const siteId = (await t.db.knex('sites').first('id')).id as string;
    await seedNumber(t.db.knex, gw.accountId, { e164: '+15552220099', siteId, forwardTo: '+15550000099' });
    expect(second!.services.routing.current.numbers.has('+15552220099')).to.equal(false);
    await gw.container.events.emit('routing.changed', { accountId: gw.accountId });
    await eventually(async () => second!.services.routing.current.numbers.has('+15552220099'), 10_000, 'the second replica to reload');
  });
  it('shows a pool created here in widget answers from the other replica at once, not after its site cache expires', async function () {
    if (!second) this.skip();
    const site = (await (
      await gw.api('/v1/sites', { method: 'POST', json: { name: 'Fan-out', domains: ['localhost:*'], canonicalNumbers: ['+15552230000'] } })
    ).json()) as {
      id: string;
      publicKey: string;
    };
    const widget = async () => {
      const res = await fetch(`${secondUrl}/v1/dni/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'http://localhost:8080', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0' },
        body: JSON.stringify({ site: site.publicKey, url: 'http://localhost:8080/' }),
      });
      expect(res.status).to.equal(200);
      return ((await res.json()) as { swaps: { to: string }[] }).swaps.map((w) => w.to);
    };
    // The other replica has the site cached, without pools.
    expect(await widget()).to.deep.equal([]);
    const pool = (await (
      await gw.api('/v1/pools', { method: 'POST', json: { siteId: site.id, name: 'Web', kind: 'session', canonicalNumber: '+15552230000' } })
    ).json()) as {
      id: string;
    };
    const made = await gw.api('/v1/tracking-numbers', {
      method: 'POST',
      json: { e164: '+15552230001', provider: 'twilio', poolId: pool.id, siteId: site.id },
    });
    expect(made.status).to.equal(201);
    await eventually(async () => (await widget()).includes('+15552230001'), 5_000, 'the other replica to show the new pool number');
  });
});
