import { analyticsClientIds } from './analytics-client-ids.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadDataError } from '../../errors/app-error.js';
import { readJsonBody, sendJson } from '../../http/fast-path.js';
import type { FastController, FastRoute } from '../../http/route.js';
import { compile, toDetails } from '../../http/validation.js';
import type { Schema } from '../../http/validation.js';
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

function validate<T>(schema: Schema, data: unknown): T {
  const fn = compile<T>(schema);
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

const keep = (d: StartBody['device']): Record<string, unknown> =>
  d ? Object.fromEntries(Object.entries({ w: d.w, h: d.h, touch: d.touch, lang: d.lang }).filter(([, v]) => v !== undefined)) : {};

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
    const allow = async (req: IncomingMessage, res: ServerResponse, siteKey: string): Promise<void> => {
      await dni.siteFor(siteKey, origin(req));
      for (const [k, v] of Object.entries(corsHeaders(req))) res.setHeader(k, v);
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
          const body = validate<StartBody>(startDniSessionRequestSchema, await readJsonBody(req, 8 * 1024));
          await allow(req, res, body.site);
          const ua = req.headers['user-agent'];
          const answer = await dni.start({
            siteKey: body.site,
            origin: origin(req),
            ...(body.session ? { sessionId: body.session } : {}),
            ...(body.visitor ? { visitorId: body.visitor } : {}),
            ...(body.url ? { pageUrl: body.url } : {}),
            ...(body.referrer ? { referrer: body.referrer } : {}),
            ...(body.consent !== undefined ? { consent: body.consent } : {}),
            ...(ua ? { userAgent: ua } : {}),
            device: keep(body.device),
            clientIds: analyticsClientIds(body.clientIds),
            ip: clientIp(req, opts.trustProxy),
          });
          sendJson(res, 200, answer);
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
          const body = validate<{ site: string }>(dniSiteRequestSchema, await readJsonBody(req, 1024));
          await allow(req, res, body.site);
          const r = await dni.heartbeat(body.site, origin(req), sessionId);
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
          const body = validate<{ site: string }>(dniSiteRequestSchema, await readJsonBody(req, 1024));
          await allow(req, res, body.site);
          await dni.leave(body.site, origin(req), sessionId);
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
          const body = validate<{ site: string; number: string }>(dniTelClickRequestSchema, await readJsonBody(req, 1024));
          await allow(req, res, body.site);
          if (isE164(body.number)) await dni.telClick(body.site, origin(req), sessionId, body.number);
          res.writeHead(204, { 'Cache-Control': 'no-store' });
          res.end();
        },
      },
    ];
  }
}
