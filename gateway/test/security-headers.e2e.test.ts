import { expect } from 'chai';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';

/** The headers a browser needs to not sniff, frame or leak the console and the API (set with helmet). */
function securityHeaders(publicBaseUrl: string): void {
  const t = useTestDatabase();
  let gw: TestGateway;
  const tls = publicBaseUrl.startsWith('https:');

  before(async () => {
    gw = await startTestGateway(t.db, { config: createTestConfig({ http: { publicBaseUrl: new URL(publicBaseUrl) } }) });
  });
  after(async () => {
    await gw?.stop();
  });

  it('the console: its own CSP with frame-ancestors none, nosniff, a referrer policy, no framing', async () => {
    const res = await fetch(`${gw.baseUrl}/console/`);
    expect(res.status).to.equal(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("default-src 'self'").and.include("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('referrer-policy')).to.equal('same-origin');
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
    expect(res.headers.get('strict-transport-security')).to.equal(tls ? 'max-age=15552000' : null);
  });

  it('the API, its errors included: nothing to render or frame', async () => {
    for (const [path, status] of [
      ['/v1/sites', 200],
      ['/v1/sites', 401],
      ['/v1/nowhere', 404],
    ] as const) {
      const res = await gw.api(path, status === 200 ? {} : { key: null });
      expect(res.status, path).to.equal(status);
      expect(res.headers.get('content-security-policy')).to.equal("default-src 'none';frame-ancestors 'none';base-uri 'none'");
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('strict-transport-security')).to.equal(tls ? 'max-age=15552000' : null);
      expect(res.headers.get('x-powered-by')).to.equal(null);
    }
  });

  it('the widget bundle stays loadable from other sites; the fast path says nosniff', async () => {
    const bundle = await fetch(`${gw.baseUrl}/dni.js`);
    expect(bundle.status).to.equal(200);
    // Absent or cross-origin (the widget handler says so itself), never same-origin.
    expect(bundle.headers.get('cross-origin-resource-policy')).to.be.oneOf([null, 'cross-origin']);
    expect(bundle.headers.get('x-content-type-options')).to.equal('nosniff');
    const dni = await fetch(`${gw.baseUrl}/v1/dni/sessions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(dni.status).to.be.within(400, 499);
    expect(dni.headers.get('x-content-type-options')).to.equal('nosniff');
  });
}

describe('security headers behind TLS (https PUBLIC_BASE_URL: HSTS)', () => securityHeaders('https://gw.example.com'));
describe('security headers on plain http (no HSTS)', () => securityHeaders('http://127.0.0.1'));
