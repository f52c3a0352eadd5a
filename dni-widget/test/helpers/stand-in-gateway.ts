// A stand-in for the gateway's public DNI API on loopback, for the widget's browser tests. It answers the way the
// gateway does (issue 4: text/plain JSON body, `{session, visitor, channel, swaps, expiresAt, heartbeatSeconds}`,
// `no-store`, CORS for the site's origins only), serves the built widget and the HTML fixtures, and records every
// request so tests can assert on payloads. Demo data as seeded for site key `demo`.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  path: string;
  origin: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown> | null;
}

interface Demo {
  canonical: string;
  staticGoogleAds: string;
  pool: string[];
}
const DEMO: Demo[] = [
  {
    canonical: '+14155550100',
    staticGoogleAds: '+14155550110',
    pool: ['+14155550101', '+14155550102', '+14155550103', '+14155550104', '+14155550105'],
  },
  {
    canonical: '+74951234567',
    staticGoogleAds: '+74951234570',
    pool: ['+74951234561', '+74951234562', '+74951234563', '+74951234564', '+74951234565'],
  },
];

const display = (e164: string): string =>
  e164.startsWith('+7')
    ? `+7 ${e164.slice(2, 5)} ${e164.slice(5, 8)}-${e164.slice(8, 10)}-${e164.slice(10)}`
    : `+1 ${e164.slice(2, 5)}-${e164.slice(5, 8)}-${e164.slice(8)}`;

export interface StandIn {
  /** Origin of the gateway stand-in (serves /dni.js and the API). */
  gateway: string;
  /** Origin of the customer site (serves the fixtures only), a different loopback port. */
  site: string;
  /** An origin nothing listens on: the gateway down. */
  down: string;
  requests: Recorded[];
  sessionRequests(): Recorded[];
  /** Heartbeat interval returned to the widget. */
  heartbeatSeconds: number;
  /** Forgets requests and sessions: the next session is `s1` with the first pool numbers. */
  reset(): void;
  /** Forgets the sessions only, as when leases expired on the gateway. */
  expireSessions(): void;
  close(): Promise<void>;
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

export async function startStandIn(widgetFile: URL, fixturesDir: URL): Promise<StandIn> {
  const sessions = new Map<string, { visitor: string }>();
  let seq = 0;
  const state = { gateway: '', site: '', down: '' };
  const standIn: StandIn = {
    ...state,
    requests: [],
    sessionRequests: () => standIn.requests.filter((r) => r.path === '/v1/dni/sessions'),
    heartbeatSeconds: 60,
    expireSessions: () => sessions.clear(),
    reset: () => {
      standIn.requests.length = 0;
      standIn.heartbeatSeconds = 60;
      sessions.clear();
      seq = 0;
    },
    close: async () => {
      await Promise.all([gatewayServer, siteServer].map((s) => new Promise((r) => s.close(r))));
    },
  };

  const fixture = (name: string, res: ServerResponse): void => {
    let html: string;
    try {
      html = readFileSync(new URL(name, fixturesDir), 'utf8');
    } catch {
      res.writeHead(404).end();
      return;
    }
    html = html.replaceAll('{{GATEWAY}}', standIn.gateway).replaceAll('{{DOWN}}', standIn.down);
    const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
    if (name.startsWith('csp')) headers['Content-Security-Policy'] = "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'";
    res.writeHead(200, headers).end(html);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = req.headers.origin;
    // CORS for the site's own origins only.
    if (origin && (origin === standIn.site || origin === standIn.gateway)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'GET' && url.pathname === '/dni.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=31536000, immutable' });
      res.end(readFileSync(widgetFile));
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/fixtures/')) return fixture(url.pathname.slice('/fixtures/'.length), res);
    if (req.method !== 'POST' || !url.pathname.startsWith('/v1/dni/sessions')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> | null = null;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = null;
    }
    standIn.requests.push({ path: url.pathname, origin, contentType: req.headers['content-type'], body });
    const json = (status: number, value?: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(value === undefined ? undefined : JSON.stringify(value));
    };
    if (!body || !String(req.headers['content-type']).startsWith('text/plain')) return json(400, { name: 'BadDataError' });
    if (url.pathname === '/v1/dni/sessions') {
      const problem = validate(body);
      if (problem) return json(400, { name: 'BadDataError', message: problem });
      if (body['site'] !== 'demo') return json(404, { name: 'NotFoundError' });
      const gclid = new URL(body['url'] as string).searchParams.has('gclid');
      const consent = body['consent'] === true;
      const n = seq++ % 5;
      const swaps = DEMO.map((d) => {
        // Before consent only channel-level numbers; a gclid visit gets the Google Ads static number.
        const to = gclid ? d.staticGoogleAds : consent ? (d.pool[n] as string) : d.canonical;
        return { from: d.canonical, to, display: display(to) };
      }).filter((s) => s.from !== s.to);
      const visitor = (body['visitor'] as string | undefined) ?? `v${seq}`;
      const session = consent ? `s${seq}` : undefined;
      if (session) sessions.set(session, { visitor });
      return json(200, {
        session,
        visitor: consent ? visitor : undefined,
        channel: gclid ? 'google-ads' : 'website',
        swaps,
        expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
        heartbeatSeconds: standIn.heartbeatSeconds,
      });
    }
    const m = /^\/v1\/dni\/sessions\/([^/]+)\/(heartbeat|tel-click|leave)$/.exec(url.pathname);
    if (!m || !sessions.has(m[1] as string)) return json(404, { name: 'NotFoundError' });
    return m[2] === 'heartbeat' ? json(200, { expiresAt: new Date(Date.now() + 5 * 60_000).toISOString() }) : json(204);
  };

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const gatewayServer = createServer(serve);
  const siteServer = createServer(serve);
  const downServer = createServer();
  standIn.gateway = await listen(gatewayServer);
  standIn.site = await listen(siteServer);
  standIn.down = await listen(downServer);
  await new Promise((r) => downServer.close(r));
  return standIn;
}

/** The session body as the gateway's schema takes it; returns the first problem or null. */
function validate(b: Record<string, unknown>): string | null {
  const allowed = new Set(['site', 'visitor', 'session', 'url', 'referrer', 'consent', 'device', 'clientIds']);
  for (const k of Object.keys(b)) if (!allowed.has(k)) return `unknown field ${k}`;
  if (typeof b['site'] !== 'string' || !b['site']) return 'site';
  if (typeof b['url'] !== 'string' || !/^https?:\/\//.test(b['url'])) return 'url';
  if (typeof b['referrer'] !== 'string') return 'referrer';
  if (typeof b['consent'] !== 'boolean') return 'consent';
  for (const k of ['visitor', 'session']) if (b[k] !== undefined && typeof b[k] !== 'string') return k;
  if (b['device'] !== undefined && (typeof b['device'] !== 'object' || b['device'] === null)) return 'device';
  const ids = b['clientIds'];
  if (ids !== undefined) {
    if (typeof ids !== 'object' || ids === null) return 'clientIds';
    for (const [k, v] of Object.entries(ids)) if (!['ym', 'ga'].includes(k) || typeof v !== 'string') return `clientIds.${k}`;
  }
  return null;
}
