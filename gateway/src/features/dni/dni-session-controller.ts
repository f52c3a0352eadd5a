import { analyticsClientIds } from './analytics-client-ids.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadDataError } from '../../errors/app-error.js';
import { readJsonBody, sendJson } from '../../http/fast-path.js';
import type { FastController, FastRoute } from '../../http/route.js';
import { compile, toDetails } from '../../http/validation.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { isE164 } from '../../shared/phone.js';
import {
  dniHeartbeatSchema,
  dniSessionParamsSchema,
  dniSessionSchema,
  dniSiteRequestSchema,
  dniTelClickRequestSchema,
  startDniSessionRequestSchema,
} from './dni-session-schemas.js';
import type { DniSessionService } from './dni-session-service.js';
import type { SiteConfig, StartSessionInput } from './dni-session-types.js';

interface StartBody {
  site: string;
  visitor?: string;
  session?: string;
  url?: string;
  referrer?: string;
  consent?: boolean;
  device?: { w?: number; h?: number; touch?: boolean; lang?: string };
  clientIds?: { ym?: string; ga?: string };
}

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

// Compiled once here rather than looked up per request.
const validStart = compile<StartBody>(startDniSessionRequestSchema);
const validSite = compile<{ site: string }>(dniSiteRequestSchema);
const validTelClick = compile<{ site: string; number: string }>(dniTelClickRequestSchema);

function validate<T>(fn: ValidateFunction<T>, data: unknown): T {
  if (!fn(data)) {
    const details = toDetails(fn.errors, 'body');
    throw new BadDataError(`Request body is invalid: ${details.map((d) => d.message).join('; ')}`, details);
  }
  return data;
}

/** Only called once the origin has been checked against the site's domains. No credentials are ever allowed. */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' };
}

/** `corsHeaders` set on the response, without the object. */
function setCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
}

/**
 * The client's address for the rate limit and the IP hash: the socket's peer, or with TRUST_PROXY the entry of
 * X-Forwarded-For that the trusted proxies vouch for (true/string: the left-most; a hop count n: n from the right).
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean | number | string): string {
  const peer = req.socket.remoteAddress ?? '';
  const header = req.headers['x-forwarded-for'];
  if (!trustProxy || !header) return peer;
  const hops = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (hops.length === 0) return peer;
  if (typeof trustProxy === 'number') return hops[Math.max(0, hops.length - trustProxy)] ?? peer;
  return hops[0] ?? peer;
}

/** The device fields the visit keeps, those present only, in this order. */
function keep(d: StartBody['device']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!d) return out;
  if (d.w !== undefined) out.w = d.w;
  if (d.h !== undefined) out.h = d.h;
  if (d.touch !== undefined) out.touch = d.touch;
  if (d.lang !== undefined) out.lang = d.lang;
  return out;
}

/**
 * The widget's hot endpoints on the lean fast path: start or resume a session (numbers to swap), heartbeat, leave.
 * Bodies are JSON sent as text/plain (no CORS preflight). The origin is checked against the site's domains before
 * the response is released to the page.
 */
export class DniSessionController implements FastController {
  readonly fastRoutes: readonly FastRoute[];

  constructor(dni: DniSessionService, opts: { trustProxy: boolean | number | string } = { trustProxy: false }) {
    const tags = ['dni'];
    const origin = (req: IncomingMessage): string | null => req.headers.origin ?? null;
    /**
     * Preflight for clients that send application/json (text/plain, the widget's way, needs none). The site key comes
     * from `?site=KEY`, as a preflight has no body; an origin outside the site's domains gets 403 and no CORS headers.
     */
    const preflight = async (res: ServerResponse, req: IncomingMessage): Promise<void> => {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('site') ?? '';
      const from = origin(req);
      if (from === null) throw new BadDataError('A preflight needs an Origin header');
      await dni.siteFor(key, from);
      res.writeHead(204, {
        ...corsHeaders(req),
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '600',
        'Cache-Control': 'no-store',
      });
      res.end();
    };
    const sessionParam = (params: Readonly<Record<string, string>>): string => {
      const id = params.sessionId ?? '';
      if (!SESSION_ID.test(id))
        throw new BadDataError('Invalid session id', [{ path: 'params/sessionId', message: 'must be 8 to 64 of A-Z a-z 0-9 _ -' }]);
      return id;
    };
    /**
     * Checks the page's origin against the site first, then sets the CORS headers for whatever follows, errors
     * included: the widget must be able to read a 404/410/429 status.
     */
    const allow = async (req: IncomingMessage, res: ServerResponse, siteKey: string): Promise<SiteConfig> => {
      const cfg = await dni.siteFor(siteKey, origin(req));
      setCorsHeaders(req, res);
      return cfg;
    };
    this.fastRoutes = [
      {
        spec: {
          method: 'post',
          path: '/v1/dni/sessions',
          operationId: 'startDniSession',
          summary: "Start or resume a visitor's session: the tracking numbers to show instead of the site's numbers",
          tags,
          auth: 'public',
          bodyType: 'text-json',
          body: startDniSessionRequestSchema,
          responses: { 200: { description: 'Numbers to swap', schema: dniSessionSchema } },
        },
        async handle(req, res) {
          if (req.method === 'OPTIONS') return preflight(res, req);
          const body = validate(validStart, await readJsonBody(req, 8 * 1024));
          // The site checked once: the service answers from the configuration the origin was checked against.
          const cfg = await allow(req, res, body.site);
          const input: StartSessionInput = {
            siteKey: body.site,
            origin: origin(req),
            // Empty strings count as absent, as they always have.
            sessionId: body.session || undefined,
            visitorId: body.visitor || undefined,
            pageUrl: body.url || undefined,
            referrer: body.referrer || undefined,
            consent: body.consent,
            userAgent: req.headers['user-agent'] || undefined,
            device: keep(body.device),
            clientIds: analyticsClientIds(body.clientIds),
            ip: clientIp(req, opts.trustProxy),
          };
          sendJson(res, 200, await dni.startFor(cfg, input));
        },
      },
      {
        spec: {
          method: 'post',
          path: '/v1/dni/sessions/{sessionId}/heartbeat',
          operationId: 'heartbeatDniSession',
          summary: "Keep the session's numbers while the page is visible",
          tags,
          auth: 'public',
          bodyType: 'text-json',
          params: dniSessionParamsSchema,
          body: dniSiteRequestSchema,
          responses: {
            200: { description: 'Lease state', schema: dniHeartbeatSchema },
            404: { description: 'Unknown session: start a new one' },
            410: { description: 'The session no longer holds its numbers: start a new one' },
          },
        },
        async handle(req, res, params) {
          if (req.method === 'OPTIONS') return preflight(res, req);
          const sessionId = sessionParam(params);
          const body = validate(validSite, await readJsonBody(req, 1024));
          const cfg = await allow(req, res, body.site);
          const r = await dni.heartbeatFor(cfg, sessionId);
          sendJson(res, 200, { session: sessionId, ...r });
        },
      },
      {
        spec: {
          method: 'post',
          path: '/v1/dni/sessions/{sessionId}/leave',
          operationId: 'leaveDniSession',
          summary: 'The page is closing (sendBeacon): give the numbers back',
          tags,
          auth: 'public',
          bodyType: 'text-json',
          params: dniSessionParamsSchema,
          body: dniSiteRequestSchema,
          responses: { 204: { description: 'Released' } },
        },
        async handle(req, res, params) {
          if (req.method === 'OPTIONS') return preflight(res, req);
          const sessionId = sessionParam(params);
          const body = validate(validSite, await readJsonBody(req, 1024));
          await dni.leaveFor(await allow(req, res, body.site), sessionId);
          res.writeHead(204, { 'Cache-Control': 'no-store' });
          res.end();
        },
      },
      {
        spec: {
          method: 'post',
          path: '/v1/dni/sessions/{sessionId}/tel-click',
          operationId: 'dniTelClick',
          summary: 'A tel: link was clicked (sendBeacon): evidence for call attribution',
          tags,
          auth: 'public',
          bodyType: 'text-json',
          params: dniSessionParamsSchema,
          body: dniTelClickRequestSchema,
          responses: { 204: { description: 'Recorded (clicks on numbers that are not tracking numbers are ignored)' } },
        },
        async handle(req, res, params) {
          if (req.method === 'OPTIONS') return preflight(res, req);
          const sessionId = sessionParam(params);
          const body = validate(validTelClick, await readJsonBody(req, 1024));
          const cfg = await allow(req, res, body.site);
          if (isE164(body.number)) await dni.telClickFor(cfg, sessionId, body.number);
          res.writeHead(204, { 'Cache-Control': 'no-store' });
          res.end();
        },
      },
    ];
  }
}
