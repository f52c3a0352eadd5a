import { expect } from 'chai';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';

async function expectError(res: Response, status: number, name: string): Promise<Record<string, unknown>> {
  expect(res.status, `status for ${res.url}`).to.equal(status);
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).to.have.keys('id', 'name', 'message', 'details');
  expect(body.name).to.equal(name);
  expect(body.id).to.match(/^[0-9A-Z]{26}$/);
  return body;
}

describe('HTTP frame', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db);
  });
  after(() => gw.stop());

  it('answers liveness and readiness', async () => {
    const live = await fetch(`${gw.baseUrl}/healthz`);
    expect(live.status).to.equal(200);
    const ready = await fetch(`${gw.baseUrl}/readyz`);
    expect(await ready.json()).to.deep.equal({ status: 'ok', checks: { started: 'ok', database: 'ok' } });
  });

  it('rejects malformed JSON with a 400 error carrying an id', async () => {
    const res = await gw.api('/v1/sites', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
    const body = await expectError(res, 400, 'BadDataError');
    expect(body.message).to.match(/not valid JSON/);
  });

  it('rejects a wrong content type with 415', async () => {
    await expectError(
      await gw.api('/v1/sites', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"name":"a"}' }),
      415,
      'UnsupportedMediaTypeError',
    );
    await expectError(
      await gw.api('/v1/sites', { method: 'POST', body: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'UnsupportedMediaTypeError',
    );
  });

  it('rejects schema violations listing each problem', async () => {
    const body = await expectError(await gw.api('/v1/sites', { method: 'POST', json: { name: '', canonicalNumbers: ['555'] } }), 400, 'BadDataError');
    const paths = (body.details as { path: string }[]).map((d) => d.path);
    expect(paths).to.include.members(['body/name', 'body/canonicalNumbers/0']);
  });

  it('answers unknown routes with a 404 JSON error', async () => {
    await expectError(await fetch(`${gw.baseUrl}/no/such/thing`), 404, 'NotFoundError');
    await expectError(await gw.api('/v1/sites/does-not-exist'), 404, 'NotFoundError');
  });

  it('answers 401 without a valid key and 403 for a role that may not', async () => {
    await expectError(await gw.api('/v1/sites', { key: null }), 401, 'UnauthorizedError');
    await expectError(await gw.api('/v1/sites', { key: 'ctk_not-a-real-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }), 401, 'UnauthorizedError');
    await expectError(await gw.api('/v1/sites', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'UnauthorizedError');
    const created = await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'viewer', role: 'analyst' } });
    expect(created.status).to.equal(201);
    const { token } = (await created.json()) as { token: string };
    expect((await gw.api('/v1/sites', { key: token })).status).to.equal(200);
    await expectError(await gw.api('/v1/sites', { key: token, method: 'POST', json: { name: 'x' } }), 403, 'ForbiddenError');
  });

  it('serves an OpenAPI 3.1 document that covers its routes', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, object> };
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths).to.include.keys('/v1/sites', '/v1/sites/{siteId}', '/v1/auth/login', '/healthz', '/readyz', '/metrics');
  });

  it('exports Prometheus metrics by route template', async () => {
    await gw.api('/v1/sites');
    const text = await (await fetch(`${gw.baseUrl}/metrics`)).text();
    expect(text).to.match(/gateway_http_request_duration_seconds_count\{method="GET",route="\/v1\/sites",status="200"\} \d+/);
    // Through a proxy (even one on this host) the metrics are not served without METRICS_TOKEN.
    expect((await fetch(`${gw.baseUrl}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).to.equal(404);
  });
});

describe('metrics behind METRICS_TOKEN', () => {
  const t = useTestDatabase();
  const token = 'metrics-token-0123456789';
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db, { config: createTestConfig({ metricsToken: token }) });
  });
  after(() => gw.stop());

  it('answers only with the token', async () => {
    await expectError(await fetch(`${gw.baseUrl}/metrics`), 401, 'UnauthorizedError');
    await expectError(
      await fetch(`${gw.baseUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-012345678x' } }),
      401,
      'UnauthorizedError',
    );
    // An owner's API key is not the metrics token.
    await expectError(await gw.api('/metrics'), 401, 'UnauthorizedError');
    const ok = await fetch(`${gw.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.match(/gateway_http_request_duration_seconds/);
  });
});

describe('console', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db);
  });
  after(() => gw.stop());

  it('serves the console page with a strict CSP and redirects / to it', async () => {
    const page = await fetch(`${gw.baseUrl}/console/`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-security-policy')).to.match(/default-src 'self'/);
    expect(await page.text()).to.include('<script type="module" src="dist/console.js">');
    const root = await fetch(`${gw.baseUrl}/`, { redirect: 'manual' });
    expect(root.status).to.equal(302);
    expect(root.headers.get('location')).to.equal('/console/');
  });
});
