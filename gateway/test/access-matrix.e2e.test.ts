import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { displayPrefix, hashToken, newSecretToken } from '../src/features/auth/tokens.js';
import { API_KEY_ROLES } from '../src/http/principal.js';
import type { Role } from '../src/http/principal.js';
import { newId } from '../src/shared/ids.js';
import { anAttributedCall, storeRecording } from './factories/calls.js';
import { seedChannel, seedNumber, seedPool, seedSite } from './helpers/call-fixtures.js';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';
import { startTestGateway } from './helpers/gateway.js';
import type { TestGateway } from './helpers/gateway.js';
import { sampleOf } from './helpers/schema-sample.js';
import { startTwilioStandIn } from './helpers/twilio-standin.js';
import type { TwilioStandIn } from './helpers/twilio-standin.js';
import { randomSid } from './helpers/twilio-webhooks.js';
import { WebSocket } from 'ws';

/**
 * Every operation of the served OpenAPI document × every role × the own and another tenant's ids, generated from the
 * document: a new route is in the matrix the moment it is in the document, and it is in the document because the
 * document is built from the same route list the router mounts. What each operation allows is its `x-roles`.
 *
 * - anonymous: 401 on every operation with roles;
 * - a role outside `x-roles`: 403, whatever the path says;
 * - a role inside `x-roles` with another tenant's ids in the path: 404, never 2xx;
 * - a role inside `x-roles` on its own account (unknown ids): neither 401 nor 403;
 * - never a 5xx; every 4xx in the one error shape; no answer carries an id of the other tenant.
 */

type Json = Record<string, unknown>;
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly roles: readonly Role[] | null;
  readonly op: Json;
}
interface Case {
  readonly what: string;
  readonly op: Operation;
  readonly key: string | null;
  readonly ids: Readonly<Record<string, string>>;
  readonly expect: (status: number, text: string) => boolean;
  readonly expected: string;
}

const PRINCIPALS = [...API_KEY_ROLES, 'anonymous'] as const;

/**
 * Operations whose handler narrows what some roles of `x-roles` may do, by a rule of the feature: those roles get
 * 403 without the narrowing parameter.
 */
const NARROWED: Readonly<Record<string, { roles: readonly Role[]; why: string }>> = {
  'get /v1/audit': { roles: ['manager', 'analyst'], why: "managers and analysts read one call's history only (?callId=)" },
  'post /v1/api-keys': { roles: ['admin'], why: 'the sample body asks for an owner key, and a key never outranks its maker' },
};

/** Operator endpoints, not tenant data: /metrics (token-protected in production, loopback-only without one). */
const OPERATOR_PATHS = new Set(['/metrics']);

/** A 400 about the caller's own body or query (refused before any lookup) tells nothing about the path's ids. */
function refusedOwnInput(status: number, text: string): boolean {
  if (status !== 400) return false;
  const details = (JSON.parse(text) as { details?: { path?: string }[] }).details ?? [];
  return details.length > 0 && details.every((d) => /^(body|query)(\/|$)/.test(d.path ?? ''));
}

/** A path parameter's value from a tenant's fixtures; `id` means different things under different collections. */
function idFor(path: string, name: string, ids: Readonly<Record<string, string>>): string {
  if (name === 'id') return path.startsWith('/v1/api-keys') ? ids.apiKeyId! : ids.outboxId!;
  const v = ids[name];
  if (v === undefined) throw new Error(`No fixture id for path parameter {${name}} of ${path}: add one to the tenant fixtures`);
  return v;
}

function fill(path: string, ids: Readonly<Record<string, string>>): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => encodeURIComponent(idFor(path, name, ids)));
}

/** Query values the operation requires (reports need a period), from their schemas. */
function queryOf(op: Json, components: Json): string {
  const params = ((op.parameters as Json[] | undefined) ?? []).filter((p) => p.in === 'query' && p.required);
  const q = new URLSearchParams();
  for (const p of params) q.set(String(p.name), String(sampleOf(p.schema, components)));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function bodyOf(op: Json, components: Json): { body?: string; contentType?: string } {
  const content = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
  if (!content) return {};
  const [media, m] = Object.entries(content)[0]!;
  const sample = sampleOf(m.schema, components);
  if (media === 'application/x-www-form-urlencoded') {
    return { contentType: media, body: new URLSearchParams(Object.entries((sample ?? {}) as Json).map(([k, v]) => [k, String(v)])).toString() };
  }
  if (media === 'text/csv') return { contentType: media, body: typeof sample === 'string' ? sample : '' };
  return { contentType: media === 'text/plain' ? 'text/plain' : 'application/json', body: JSON.stringify(sample ?? {}) };
}

/**
 * An operation with `x-websocket` is an upgrade: it is opened as a WebSocket with the key, and the answer is the
 * handshake's status (101 when open) and, when open, the first message (which must name the caller's own account).
 */
function upgrade(baseUrl: string, path: string, key: string | null): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer to the upgrade of ${path}`));
    }, 10_000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, text: '' });
      ws.terminate();
    });
    ws.on('message', (data) => {
      clearTimeout(timer);
      resolve({ status: 101, text: String(data) });
      ws.close();
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A second tenant with one of everything a path can name, made the way its own owner would have them. */
async function seedTenant(
  gw: TestGateway,
  k: TestGateway['container']['db']['knex'],
): Promise<{ accountId: string; ownerKey: string; ids: Record<string, string> }> {
  const accountId = newId();
  await k('accounts').insert({ id: accountId, name: 'Foreign tenant' });
  const ownerKey = newSecretToken('ctk_');
  await k('api_keys').insert({
    id: newId(),
    account_id: accountId,
    name: 'owner',
    role: 'owner',
    display_prefix: displayPrefix(ownerKey),
    key_hash: hashToken(ownerKey),
  });
  const siteId = await seedSite(k, accountId, { name: 'Foreign shop' });
  const channelId = await seedChannel(k, accountId, siteId, 'foreign-paid');
  const poolId = await seedPool(k, accountId, siteId, { kind: 'session' });
  const numberId = await seedNumber(k, accountId, { e164: '+14155550177', siteId, poolId });
  const { callId, sessionId } = await anAttributedCall(k, { accountId, siteId });
  const recordingId = await storeRecording(k, accountId, callId);
  const key = await gw.api('/v1/api-keys', { method: 'POST', key: ownerKey, json: { name: 'foreign analyst', role: 'analyst' } });
  expect(key.status, await key.clone().text()).to.equal(201);
  const apiKeyId = ((await key.json()) as { key: { id: string } }).key.id;
  const user = await gw.api('/v1/users', {
    method: 'POST',
    key: ownerKey,
    json: { email: `foreign-${newId().toLowerCase()}@example.com`, role: 'manager', name: 'F' },
  });
  expect(user.status, await user.clone().text()).to.equal(201);
  const userId = ((await user.json()) as { id: string }).id;
  const sinkId = newId();
  await k('crm_sinks').insert({
    id: sinkId,
    account_id: accountId,
    site_id: siteId,
    kind: 'webhook',
    name: 'foreign sink',
    config: JSON.stringify({ url: 'https://crm.example.com/hook' }),
  });
  const outboxId = newId();
  await k('outbox').insert({
    id: outboxId,
    account_id: accountId,
    topic: 'lead',
    sink_id: sinkId,
    aggregate_id: callId,
    dedupe_key: `foreign-${outboxId}`,
    payload: JSON.stringify({}),
    status: 'dead',
  });
  const e164 = '+15557770123';
  await k('blocked_callers').insert({ id: newId(), account_id: accountId, site_id: siteId, e164 });
  const inquiryId = newId();
  await k('inquiries').insert({
    id: inquiryId,
    account_id: accountId,
    site_id: siteId,
    kind: 'form',
    origin: 'server',
    phone: '+15557770124',
    received_at: new Date(),
  });
  const actionId = newId();
  await k('pool_autoscale_actions').insert({
    id: actionId,
    account_id: accountId,
    pool_id: poolId,
    tracking_number_id: numberId,
    e164: '+14155550177',
    action: 'release',
    status: 'pending',
    created_at: new Date(),
  });
  return {
    accountId,
    ownerKey,
    ids: { siteId, channelId, poolId, numberId, callId, recordingId, apiKeyId, userId, sinkId, outboxId, e164, sessionId, inquiryId, actionId },
  };
}

describe('access matrix (generated from the OpenAPI document)', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let gw: TestGateway;
  let twilio: TwilioStandIn;
  let doc: { paths: Record<string, Record<string, Json>>; components: { schemas: Json } };
  const keys = new Map<string, string | null>();
  let foreign: Awaited<ReturnType<typeof seedTenant>>;
  /** Ids of the own tenant that exist nowhere: the own-account cases reach the handler and find nothing. */
  const missing: Record<string, string> = {};

  before(async () => {
    const login = { accountSid: randomSid('AC'), authToken: 'matrix-token-0123456789abcdef0' };
    twilio = await startTwilioStandIn(login);
    // Every optional provider configured, so no operation answers "not configured" instead of reaching its handler.
    const config = createTestConfig({
      twilioApi: { baseUrl: new URL(twilio.baseUrl), region: null, edge: null },
      mail: {
        smtp: null,
        maxBytes: 200_000,
        relayUrl: null,
        bounceAddress: null,
        mailgunSigningKey: 'matrix-mailgun-key',
        postmark: { user: 'matrix', password: 'matrix-password' },
        sendgridPublicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
          .publicKey.export({ format: 'der', type: 'spki' })
          .toString('base64'),
      },
    });
    gw = await startTestGateway(t.db, { config });
    keys.set('owner', gw.ownerKey);
    // Connected to Twilio (the stand-in), so the Twilio number operations reach their handlers.
    const connected = await gw.api('/v1/twilio/credentials', { method: 'PUT', json: login });
    expect(connected.status, await connected.clone().text()).to.be.within(200, 299);
    keys.set('anonymous', null);
    for (const role of API_KEY_ROLES.filter((r) => r !== 'owner')) {
      const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name: `matrix ${role}`, role } });
      expect(res.status, await res.clone().text()).to.equal(201);
      keys.set(role, ((await res.json()) as { token: string }).token);
    }
    foreign = await seedTenant(gw, t.db.knex);
    for (const name of Object.keys(foreign.ids)) missing[name] = name === 'e164' ? '+15557770999' : newId();
    doc = (await (await gw.api('/v1/openapi.json', { key: null })).json()) as typeof doc;
  });
  after(async () => {
    await gw?.stop();
    await twilio?.close();
  });

  const operations = (): Operation[] =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const roles = op['x-roles'] as Role[] | undefined;
        return { method, path, op, roles: roles && roles.length > 0 ? roles : null };
      }),
    );

  it('every operation of the document declares x-roles (empty only for public operations)', () => {
    const ops = operations();
    expect(ops.length).to.be.greaterThan(80);
    // The live feed is served on the server's upgrade event, outside the routers: it is in the document all the same.
    const live = doc.paths['/v1/live']?.get;
    expect(live?.['x-websocket'], 'GET /v1/live documented as a WebSocket').to.deep.include({
      messages: { oneOf: [{ $ref: '#/components/schemas/LiveHello' }, { $ref: '#/components/schemas/LiveCallMessage' }] },
    });
    expect(Object.keys((live?.responses ?? {}) as Json)).to.include.members(['101', '401', '403']);
    for (const o of ops) {
      expect(o.op['x-roles'], `${o.method} ${o.path}`).to.be.an('array');
      expect((o.op['x-roles'] as unknown[]).length === 0, `${o.method} ${o.path}: public iff security: []`).to.equal(
        Array.isArray(o.op.security) && (o.op.security as unknown[]).length === 0,
      );
    }
  });

  it("answers 401, 403, 404 as each operation declares, never a 5xx, never another tenant's ids", async () => {
    const ajv = new Ajv2020({ strict: false });
    for (const [name, s] of Object.entries(doc.components.schemas)) ajv.addSchema(s as object, `#/components/schemas/${name}`);
    const errorShape = ajv.compile(doc.components.schemas.Error as object);
    const cases: Case[] = [];
    for (const op of operations()) {
      const hasIds = /\{[^}]+\}/.test(op.path);
      for (const who of PRINCIPALS) {
        const key = keys.get(who) ?? null;
        if (!op.roles) {
          // Public: its own protection (signature, site key, token); whoever calls, never a 5xx.
          cases.push({ what: `${who} on public`, op, key, ids: foreign.ids, expect: (s) => s < 500, expected: '<500' });
          continue;
        }
        if (who === 'anonymous') {
          cases.push({ what: 'anonymous', op, key, ids: foreign.ids, expect: (s) => s === 401, expected: '401' });
        } else if (!op.roles.includes(who) || NARROWED[`${op.method} ${op.path}`]?.roles.includes(who)) {
          cases.push({ what: `${who} (not in x-roles)`, op, key, ids: missing, expect: (s) => s === 403, expected: '403' });
        } else {
          cases.push({
            what: `${who} on own account`,
            op,
            key,
            ids: missing,
            expect: (s) => s !== 401 && s !== 403 && s < 500,
            expected: 'not 401/403/5xx',
          });
          if (hasIds) {
            cases.push({
              what: `${who} on the other tenant's ids`,
              op,
              key,
              ids: foreign.ids,
              expect: (s, text) => s === 404 || refusedOwnInput(s, text),
              expected: '404 (or 400 on its own body/query)',
            });
          }
        }
      }
    }
    const foreignIds = [foreign.accountId, ...Object.values(foreign.ids).filter((v) => v.length > 12)];
    const failures: string[] = [];
    const run = async (c: Case): Promise<void> => {
      const url = `${fill(c.op.path, c.ids)}${queryOf(c.op.op, doc.components.schemas)}`;
      if (c.op.op['x-websocket']) {
        const ws = await upgrade(gw.baseUrl, url, c.key);
        const tag = `WebSocket ${c.op.path} as ${c.what}: ${ws.status}`;
        if (!c.expect(ws.status, ws.text)) failures.push(`${tag}, expected ${c.expected}`);
        const own = c.key === foreign.ownerKey ? foreign.accountId : gw.accountId;
        if (ws.status === 101 && (JSON.parse(ws.text) as { accountId?: string }).accountId !== own) failures.push(`${tag} greets another account`);
        return;
      }
      const { body, contentType } = c.op.method === 'get' || c.op.method === 'delete' ? {} : bodyOf(c.op.op, doc.components.schemas);
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const res = await gw.api(url, { method: c.op.method.toUpperCase(), key: c.key, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      const tag = `${c.op.method.toUpperCase()} ${c.op.path} as ${c.what}: ${res.status}`;
      if (!c.expect(res.status, text)) failures.push(`${tag}, expected ${c.expected} (${text.slice(0, 160)})`);
      if (res.status >= 400 && (res.headers.get('content-type') ?? '').startsWith('application/json') && !errorShape(JSON.parse(text))) {
        failures.push(`${tag} is not in the error shape: ${text.slice(0, 160)}`);
      }
      // An id the caller put in the path may come back in the 404's message; any other id of the tenant is a leak.
      const leaked = foreignIds.find((id) => text.includes(id) && !url.includes(encodeURIComponent(id)));
      if (leaked && !OPERATOR_PATHS.has(c.op.path)) failures.push(`${tag} carries the other tenant's id ${leaked}`);
    };
    // A handful at a time: the gateway under test, not the client, sets the pace.
    for (let i = 0; i < cases.length; i += 8) await Promise.all(cases.slice(i, i + 8).map(run));
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(cases.length).to.be.greaterThan(500);
    const by = new Map<string, number>();
    for (const c of cases) by.set(c.expected, (by.get(c.expected) ?? 0) + 1);
    // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
    console.log(
      `      access matrix: ${operations().length} operations, ${cases.length} cases (${[...by].map(([k, n]) => `${k}: ${n}`).join(', ')})`,
    );
  });
});
