import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadDataError } from '../../errors/app-error.js';
import { readJsonBody, sendJson } from '../../http/fast-path.js';
import type { FastController, FastRoute } from '../../http/route.js';
import { compile, toDetails } from '../../http/validation.js';
import type { Schema } from '../../http/validation.js';
import {
  dniHeartbeatSchema,
  dniSessionParamsSchema,
  dniSessionSchema,
  dniSiteRequestSchema,
  startDniSessionRequestSchema,
} from './dni-session-schemas.js';
import type { DniSessionService } from './dni-session-service.js';

interface StartBody {
  site: string;
  visitor?: string;
  session?: string;
  url?: string;
  referrer?: string;
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

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {};
}

/** Preflight for clients that send application/json; text/plain (the widget's way) needs none. */
function preflight(res: ServerResponse, req: IncomingMessage): void {
  res.writeHead(204, {
    ...corsHeaders(req),
    'Access-Control-Allow-Methods': 'POST',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Access-Control-Max-Age': '86400',
  });
  res.end();
}

/**
 * The widget's hot endpoints on the lean fast path: start or resume a session (numbers to swap), heartbeat, leave.
 * Bodies are JSON sent as text/plain (no CORS preflight). The origin is checked against the site's domains before
 * the response is released to the page.
 */
export class DniSessionController implements FastController {
  readonly fastRoutes: readonly FastRoute[];

  constructor(dni: DniSessionService) {
    const tags = ['dni'];
    const origin = (req: IncomingMessage): string | null => req.headers.origin ?? null;
    const sessionParam = (params: Readonly<Record<string, string>>): string => {
      const id = params.sessionId ?? '';
      if (!SESSION_ID.test(id))
        throw new BadDataError('Invalid session id', [{ path: 'params/sessionId', message: 'must be 8 to 64 of A-Z a-z 0-9 _ -' }]);
      return id;
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
          const answer = await dni.start({
            siteKey: body.site,
            origin: origin(req),
            ...(body.session ? { sessionId: body.session } : {}),
            ...(body.visitor ? { visitorId: body.visitor } : {}),
            ...(body.url ? { pageUrl: body.url } : {}),
            ...(body.referrer ? { referrer: body.referrer } : {}),
          });
          sendJson(res, 200, answer, corsHeaders(req));
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
          responses: { 200: { description: 'Lease state', schema: dniHeartbeatSchema } },
        },
        async handle(req, res, params) {
          if (req.method === 'OPTIONS') return preflight(res, req);
          const sessionId = sessionParam(params);
          const body = validate<{ site: string }>(dniSiteRequestSchema, await readJsonBody(req, 1024));
          const r = await dni.heartbeat(body.site, origin(req), sessionId);
          sendJson(res, 200, { session: sessionId, ...r }, corsHeaders(req));
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
          await dni.leave(body.site, origin(req), sessionId);
          res.writeHead(204, { 'Cache-Control': 'no-store', ...corsHeaders(req) });
          res.end();
        },
      },
    ];
  }
}
