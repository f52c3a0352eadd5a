import { expect } from 'chai';
import { readSharedJson } from '../../../../test/helpers/shared-fixtures.js';
import { publicWebhookUrl, signTwilioRequest, verifyTwilioSignature } from './twilio-signature.js';

const load = (name: string) => readSharedJson(`twilio/${name}`);

interface Vector {
  name: string;
  authToken: string;
  signedUrl: string;
  urlAsReceived?: string;
  params: string | Record<string, string | string[]>;
  body?: string;
  expectedSignature: string;
}

describe('Twilio signature', () => {
  const vectors = load('signature-test-vectors.json') as { defaultParams: Record<string, string>; vectors: Vector[] };
  const inbound = load('inbound-call-webhook_twilio-python-test.json') as { params: Record<string, string> };

  const paramsOf = (v: Vector) => (v.params === 'defaultParams' ? vectors.defaultParams : typeof v.params === 'string' ? inbound.params : v.params);

  for (const v of vectors.vectors) {
    it(`accepts the published vector: ${v.name}`, () => {
      const url = v.urlAsReceived ?? v.signedUrl;
      expect(verifyTwilioSignature({ authToken: v.authToken, url, params: paramsOf(v), signature: v.expectedSignature, rawBody: v.body })).to.equal(
        true,
      );
    });
    it(`rejects a tampered request: ${v.name}`, () => {
      const url = v.urlAsReceived ?? v.signedUrl;
      const params = { ...paramsOf(v), Injected: 'x' };
      expect(
        verifyTwilioSignature({ authToken: v.authToken, url, params, signature: v.expectedSignature, rawBody: v.body ? `${v.body} ` : undefined }),
      ).to.equal(false);
      expect(
        verifyTwilioSignature({ authToken: `${v.authToken}x`, url, params: paramsOf(v), signature: v.expectedSignature, rawBody: v.body }),
      ).to.equal(false);
    });
  }

  it('rejects a missing or empty signature and an unparsable URL', () => {
    expect(verifyTwilioSignature({ authToken: '12345', url: 'https://a.example/x', params: {}, signature: undefined })).to.equal(false);
    expect(verifyTwilioSignature({ authToken: '12345', url: 'https://a.example/x', params: {}, signature: '' })).to.equal(false);
    expect(verifyTwilioSignature({ authToken: '12345', url: 'not a url', params: {}, signature: 'abc=' })).to.equal(false);
  });

  it('rebuilds the public URL from configuration, keeping the raw query and a stripped path prefix', () => {
    const base = new URL('https://calls.example.com');
    expect(publicWebhookUrl(base, '/v1/telephony/twilio/voice?x=It%27s+1')).to.equal(
      'https://calls.example.com/v1/telephony/twilio/voice?x=It%27s+1',
    );
    expect(publicWebhookUrl(new URL('https://example.com:8443/gw/'), '/v1/telephony/twilio/voice')).to.equal(
      'https://example.com:8443/gw/v1/telephony/twilio/voice',
    );
    expect(publicWebhookUrl(new URL('https://example.com/gw'), '/gw/v1/x')).to.equal('https://example.com/gw/v1/x');
  });

  it('signs what it verifies (the simulator and tests use the same algorithm)', () => {
    const url = 'https://calls.example.com/v1/telephony/twilio/status';
    const params = { CallSid: 'CA1', CallStatus: 'completed', Digits: ['2', '1'] };
    const signature = signTwilioRequest('tok', url, params);
    expect(verifyTwilioSignature({ authToken: 'tok', url, params, signature })).to.equal(true);
  });
});
