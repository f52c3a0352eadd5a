import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { signWebhook, verifyWebhook } from './standard-webhooks.js';

interface Vectors {
  raw_body: string;
  scheme_a_standard_webhooks: { secret: string; headers: Record<string, string> };
}

const vectors = JSON.parse(readFileSync(new URL('../../../test/fixtures/crm/signed-delivery.sample.json', import.meta.url), 'utf8')) as Vectors;
const a = vectors.scheme_a_standard_webhooks;
const id = a.headers['webhook-id']!;
const ts = Number(a.headers['webhook-timestamp']);

describe('Standard Webhooks signatures', () => {
  it('reproduces the published vector', () => {
    expect(signWebhook(a.secret, id, ts, vectors.raw_body)).to.equal(a.headers['webhook-signature']);
  });

  it('verifies the vector within the tolerance and rejects tampering or stale timestamps', () => {
    const headers = { id, timestamp: String(ts), signature: a.headers['webhook-signature'] };
    expect(verifyWebhook(a.secret, headers, vectors.raw_body, ts * 1000 + 60_000)).to.equal(true);
    expect(verifyWebhook(a.secret, headers, `${vectors.raw_body} `, ts * 1000)).to.equal(false);
    expect(verifyWebhook(a.secret, headers, vectors.raw_body, ts * 1000 + 301_000)).to.equal(false);
    expect(verifyWebhook(a.secret, { ...headers, id: 'msg_other' }, vectors.raw_body, ts * 1000)).to.equal(false);
  });

  it('accepts any of several signatures (secret rotation)', () => {
    const headers = { id, timestamp: String(ts), signature: `v1,bm90IGl0 ${a.headers['webhook-signature']}` };
    expect(verifyWebhook(a.secret, headers, vectors.raw_body, ts * 1000)).to.equal(true);
  });
});
