import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { DeliveryError } from '../../features/outbox/outbox-handler.js';
import { ManualClock } from '../../shared/clock.js';
import { REC, aLead, ctx } from '../../../test/factories/leads.js';
import { startStandIn } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { SinkGoneError } from './crm-http.js';
import { GenericWebhookSink } from './generic-webhook-sink.js';
import { verifyWebhook } from './standard-webhooks.js';

const vectors = JSON.parse(readFileSync(new URL('../../../test/fixtures/crm/signed-delivery.sample.json', import.meta.url), 'utf8')) as {
  raw_body: string;
  scheme_a_standard_webhooks: { secret: string; headers: Record<string, string> };
};
const SECRET = vectors.scheme_a_standard_webhooks.secret;

describe('GenericWebhookSink against a Standard Webhooks receiver', () => {
  let hook: StandIn;
  let status = 200;
  before(async () => {
    hook = await startStandIn(() => ({ status, headers: status === 429 ? { 'retry-after': '30' } : {} }));
  });
  after(() => hook.close());

  it('sends through the outbound guard: a metadata or private address is refused before any request', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/hook']) {
      const sink = new GenericWebhookSink({ url, secret: SECRET, timeoutMs: 300 }, new ManualClock(0));
      const err = (await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as Error;
      expect(err, url).to.be.instanceOf(Error);
      expect(String(err.message), url).to.match(/private, loopback or reserved|Refusing/);
    }
  });

  it('sends the documented headers and a body shaped like the published sample, signed so a receiver verifies it', async () => {
    status = 200;
    // The sample's webhook-timestamp is 2025-11-20T11:07:45Z although its body says 2026: use the header's instant.
    const clock = new ManualClock(1763636865 * 1000);
    const sink = new GenericWebhookSink({ url: `${hook.url}/in`, secret: SECRET, timeoutMs: 300 }, clock);
    await sink.deliver(aLead({ recordingUrl: REC }), null, ctx('msg_2b7a110c5f1e7f3c2a9e'));
    const r = hook.requests.at(-1)!;
    expect(r.headers).to.include({ 'content-type': 'application/json', 'webhook-id': 'msg_2b7a110c5f1e7f3c2a9e', 'webhook-timestamp': '1763636865' });
    const sent = JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    const sample = JSON.parse(vectors.raw_body) as { type: string; timestamp: string; data: Record<string, unknown> & { attribution: object } };
    expect(sent.type).to.equal(sample.type);
    expect(sent.timestamp).to.equal('2025-11-20T11:07:45Z');
    expect(sample.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(sent.data).to.include.keys(Object.keys(sample.data));
    expect(sent.data.attribution).to.include.keys(Object.keys(sample.data.attribution).filter((k) => k !== 'ym_client_id'));
    const headers = {
      id: r.headers['webhook-id'] as string,
      timestamp: r.headers['webhook-timestamp'] as string,
      signature: r.headers['webhook-signature'] as string,
    };
    expect(verifyWebhook(SECRET, headers, r.body, clock.nowMs())).to.equal(true);
  });

  it('names a placed callback\'s call direction "callback", an inbound call "inbound"', async () => {
    status = 200;
    const sink = new GenericWebhookSink({ url: `${hook.url}/in`, secret: SECRET, timeoutMs: 300 }, new ManualClock());
    await sink.deliver(aLead({ direction: 'callback' }), null, ctx());
    expect((JSON.parse(hook.requests.at(-1)!.body) as { data: { direction: string } }).data.direction).to.equal('callback');
    await sink.deliver(aLead(), null, ctx());
    expect((JSON.parse(hook.requests.at(-1)!.body) as { data: { direction: string } }).data.direction).to.equal('inbound');
  });

  it('retries 429 (with Retry-After), 5xx and timeouts; 410 disables; other 4xx give up', async () => {
    const sink = new GenericWebhookSink({ url: `${hook.url}/in`, secret: SECRET, timeoutMs: 200 }, new ManualClock());
    const fail = async () => (await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError;
    status = 429;
    expect(await fail()).to.include({ retryable: true, retryAfterMs: 30_000 });
    status = 503;
    expect((await fail()).retryable).to.equal(true);
    status = 200;
    hook.queueFaults('timeout');
    expect((await fail()).retryable).to.equal(true);
    status = 410;
    expect(await fail()).to.be.instanceOf(SinkGoneError);
    status = 400;
    expect((await fail()).retryable).to.equal(false);
  });
});
