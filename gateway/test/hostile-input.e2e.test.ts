import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { seedDemo } from '../src/demo/demo-seed.js';
import { hasControlChars } from '../src/shared/control-chars.js';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';
import { testEnv } from './helpers/test-env.js';
import { eventually, inboundParams, randomSid, twilioPoster } from './helpers/twilio-webhooks.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SITE = 'http://localhost:8080';
const PUBLIC = 'https://gw.example.com';
/** NUL, BEL, vertical tab, escape, a lone surrogate and U+FFFF: none may reach a row or a TwiML document. */
const NASTY = '\u0000\u0007\u000b\u001b\ud800\uffff';

/** NUL bytes and XML-illegal characters on the public routes: a 4xx or stripped, never a 5xx, nothing lost. */
function hostileInput(mode: 'sql' | 'redis'): void {
  const t = useTestDatabase();
  const twilio = { accountSid: randomSid('AC'), authToken: 'hostile-token-0123456789abcdef' };
  let gw: TestGateway;

  const post = (path: string, body: string) =>
    fetch(`${gw.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SITE, 'user-agent': UA }, body });

  before(async function () {
    if (mode === 'redis' && !testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true but TEST_REDIS_URL is not set');
      this.skip();
    }
    const config = createTestConfig({
      http: { publicBaseUrl: new URL(PUBLIC) },
      twilio,
      ...(mode === 'redis' ? { redis: { url: testEnv.redisUrl!, keyPrefix: `t${randomBytes(4).toString('hex')}:` } } : {}),
    });
    gw = await startTestGateway(t.db, { config });
    await seedDemo(t.db.knex);
    await gw.container.services.leases.syncAll();
    await gw.container.services.routing.refresh();
  });
  after(async () => {
    await gw?.stop();
  });

  it('starts sessions whose strings carry escaped control characters, and stores every one of a batch', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const bad = i % 10 === 3;
      const body = JSON.stringify({
        site: 'demo',
        url: `http://localhost:8080/p${i}${bad ? NASTY : ''}?utm_source=x${bad ? NASTY : ''}`,
        referrer: bad ? `https://ref.example/${NASTY}` : '',
        consent: true,
        device: bad ? { [`k${NASTY}`]: `v${NASTY}`, w: 1 } : { w: 1 },
      });
      const res = await post('/v1/dni/sessions', body);
      expect(res.status, await res.clone().text()).to.equal(200);
      ids.push(((await res.json()) as { session: string }).session);
    }
    await gw.container.services.visitRecorder.flush();
    const rows = await t.db.knex('web_sessions').whereIn('id', ids).select('id', 'landing_url', 'device');
    expect(rows).to.have.length(40);
    const third = rows.find((r: { id: string }) => r.id === ids[3]) as { landing_url: string; device: Record<string, unknown> };
    expect(third.landing_url).to.equal('http://localhost:8080/p3?utm_source=x');
    expect(JSON.stringify(third.device)).not.to.match(/\\u00(0|1)/);
    expect(gw.container.services.visitRecorder.lost).to.equal(0);
    expect(gw.container.services.visitRecorder.rejected).to.equal(0);
  });

  it('answers a 4xx, never a 5xx, for control characters in site keys, ids and numbers', async () => {
    const sessionId = 'a'.repeat(32);
    const cases: [string, string][] = [
      ['/v1/dni/sessions', JSON.stringify({ site: `demo${NASTY}` })],
      ['/v1/dni/sessions', JSON.stringify({ site: 'demo', session: `s${NASTY}`, visitor: `v${NASTY}` })],
      [`/v1/dni/sessions/${sessionId}/heartbeat`, JSON.stringify({ site: `\u0000` })],
      [`/v1/dni/sessions/${sessionId}/leave`, JSON.stringify({ site: `demo\u0000` })],
      [`/v1/dni/sessions/${sessionId}/tel-click`, JSON.stringify({ site: 'demo', number: `+1415555010\u00001` })],
      ['/v1/dni/sessions', `{"site":"demo","url":"\u0000"}`],
    ];
    for (const [path, body] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${body}: ${await res.clone().text()}`).to.be.below(500);
    }
    for (const path of ['/v1/sites/%00', '/v1/calls?caller=%00', '/v1/sites/abc%07/pools', '/v1/calls/%00%01']) {
      const res = await gw.api(path);
      expect(res.status, `${path}: ${await res.clone().text()}`).to.be.within(400, 499);
    }
    const created = await gw.api('/v1/sites', {
      method: 'POST',
      json: { name: `Shop${NASTY}`, domains: ['shop.example'], canonicalNumbers: [], timezone: 'UTC' },
    });
    expect(created.status, await created.clone().text()).to.be.within(200, 499);
  });

  it('connects a call whose webhook and whose site announcement carry control characters, and stores it', async () => {
    // As an older version or a direct database edit could have left it: the TwiML builder refuses such text.
    const site = await t.db.knex('sites').where({ public_key: 'demo' }).first();
    await t.db
      .knex('sites')
      .where({ id: site.id })
      .update({ settings: JSON.stringify({ ...site.settings, recordCalls: true, recordingAnnouncement: 'This call\u0007 may be recorded\u001b.' }) });
    await gw.container.services.routing.refresh();
    const callSid = randomSid('CA');
    const params = {
      ...inboundParams({ accountSid: twilio.accountSid, callSid, from: '+15557770501', to: '+14155550101' }),
      CallerName: `X${NASTY}`,
      FromCity: `City${NASTY}`,
    };
    const res = await twilioPoster(gw.baseUrl, PUBLIC, twilio.authToken).post('voice', params);
    const xml = await res.text();
    expect(res.status, xml).to.equal(200);
    expect(xml).to.match(/<Say[^>]*>This call may be recorded\.<\/Say>/);
    expect(xml).to.match(/<Dial [^>]*>/);
    expect(hasControlChars(xml)).to.equal(false);
    const call = await eventually(() => t.db.knex('calls').where({ provider_call_id: callSid }).first(), 10_000, 'the call row');
    expect(call.caller).to.equal('+15557770501');

    const status = await twilioPoster(gw.baseUrl, PUBLIC, twilio.authToken).post('status', {
      AccountSid: twilio.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: callSid,
      From: '+15557770501',
      To: '+14155550101',
      Direction: 'inbound',
      CallStatus: 'no-answer',
      CallDuration: '0',
      SequenceNumber: '0',
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
      ErrorMessage: `bad${NASTY}`,
    });
    expect(status.status).to.equal(200);
    await eventually(async () => (await t.db.knex('calls').where({ provider_call_id: callSid }).first()).status === 'ended', 10_000, 'ended');
  });
}

describe('hostile input on public routes (embedded lease store)', () => hostileInput('sql'));
describe('hostile input on public routes (Redis lease store)', () => hostileInput('redis'));
