import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { BadDataError, ForbiddenError, UnauthorizedError, UnsupportedMediaTypeError } from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';
import { hasControlChars, stripControlCharsDeep } from '../shared/control-chars.js';
import { assertBodyDepth } from './body-depth.js';
import type { Principal } from './principal.js';
import type { RouteDefinition, RouteSpec } from './route.js';
import { compile, toDetails, validateOrThrow } from './validation.js';

export interface Authenticator {
  /** Resolves the caller from a Bearer API key or the console session cookie; null when neither is present or valid. */
  authenticate(req: Request): Promise<Principal | null>;
}

export interface MountOptions {
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  /** Check every response body against its schema and fail loudly (development and tests). */
  readonly validateResponses: boolean;
  readonly bodyLimit: string;
  /** The gateway's own origin (PUBLIC_BASE_URL): the only page that may send console-cookie writes. */
  readonly publicOrigin?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A write on the console cookie must come from the console's own pages. SameSite=Strict keeps other sites out, but
 * not sibling hosts of the same site, and a body-less POST needs no preflight: the browser's Origin (or, without
 * it, Sec-Fetch-Site) says where the request came from. Clients that send neither (curl, scripts) are no browser
 * a page could drive.
 */
function fromOwnPage(req: Request, publicOrigin: string | undefined): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const own = `${req.protocol}://${req.headers.host ?? ''}`;
    return origin === own || (publicOrigin !== undefined && origin === publicOrigin);
  }
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

export const toExpressPath = (p: string): string => p.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The exact request body as received, for signature checks; set on JSON routes. */
export function rawBodyOf(req: Request): Buffer | undefined {
  return (req as Request & { rawBody?: Buffer }).rawBody;
}

function keepRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
}

function bodyParser(spec: RouteSpec, limit: string): RequestHandler[] {
  if (!spec.body) return [];
  const type = spec.bodyType ?? 'json';
  const expected =
    type === 'form'
      ? ['application/x-www-form-urlencoded']
      : type === 'text-json'
        ? ['text/plain', 'application/json']
        : type === 'text-csv'
          ? ['text/csv', 'text/plain', 'application/csv']
          : ['application/json'];
  const check: RequestHandler = (req, _res, next) => {
    const media = mediaTypeOf(req);
    if (!expected.includes(media) && !(type === 'json' && media.endsWith('+json'))) {
      next(new UnsupportedMediaTypeError(`Content-Type must be ${expected.join(' or ')}, got "${media || 'none'}"`));
      return;
    }
    next();
  };
  // Control characters are dropped from parsed bodies (signatures are checked over the raw bytes, kept apart).
  // Nesting is bounded first: the cleaning and validation that follow recurse.
  const clean: RequestHandler = (req, _res, next) => {
    try {
      assertBodyDepth(req.body);
      req.body = stripControlCharsDeep(req.body as unknown);
      next();
    } catch (err) {
      next(err);
    }
  };
  if (type === 'form') return [check, express.urlencoded({ extended: false, limit, type: () => true }), clean];
  if (type === 'text-json') return [check, express.json({ limit, type: () => true, verify: keepRawBody }), clean];
  // Files (CSV uploads): the body arrives as one UTF-8 string; the route's schema describes it as a string.
  if (type === 'text-csv') return [check, express.text({ limit: spec.bodyLimit ?? limit, type: () => true, defaultCharset: 'utf-8' }), clean];
  // The raw bytes stay available for routes that verify a signature over them (Standard Webhooks).
  return [check, express.json({ limit, type: () => true, verify: keepRawBody }), clean];
}

function authGuard(spec: RouteSpec, authenticator: Authenticator, publicOrigin?: string): RequestHandler {
  return (req, res, next) => {
    if (spec.auth === 'public') {
      res.locals.principal = null;
      next();
      return;
    }
    const roles = spec.auth;
    authenticator
      .authenticate(req)
      .then((principal) => {
        res.locals.principal = principal;
        if (!principal) return next(new UnauthorizedError());
        if (principal.via === 'session' && !SAFE_METHODS.has(req.method) && !fromOwnPage(req, publicOrigin)) {
          return next(new ForbiddenError('A console write must come from the console itself (Origin does not match)'));
        }
        if (!roles.includes(principal.role)) {
          return next(new ForbiddenError(`This operation needs one of the roles: ${roles.join(', ')}`));
        }
        next();
      })
      .catch(next);
  };
}

function refuseControlChars(values: unknown, where: 'params' | 'query'): void {
  const bad = (v: unknown): boolean =>
    typeof v === 'string'
      ? hasControlChars(v)
      : Array.isArray(v)
        ? v.some(bad)
        : !!v && typeof v === 'object' && Object.entries(v).some(([k, x]) => hasControlChars(k) || bad(x));
  if (bad(values))
    throw new BadDataError(`The ${where === 'params' ? 'path' : 'query string'} holds a control character`, [
      { path: where, message: 'Control characters are not allowed' },
    ]);
}

export function mountRoutes(router: Router, routes: readonly RouteDefinition[], opts: MountOptions): void {
  for (const { spec, handler } of routes) {
    const responseValidators = new Map(
      Object.entries(spec.responses)
        .filter(([, r]) => r.schema && (r.contentType ?? 'application/json') === 'application/json')
        .map(([status, r]) => [Number(status), compile(r.schema!)]),
    );
    const run = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        // An id or filter with a control character names nothing: refused before it reaches SQL (NUL would fail there).
        refuseControlChars(req.params, 'params');
        refuseControlChars(req.query, 'query');
        const params = spec.params ? validateOrThrow(spec.params, { ...req.params }, 'params', { coerce: true }) : undefined;
        const query = spec.query ? validateOrThrow(spec.query, { ...(req.query as object) }, 'query', { coerce: true }) : undefined;
        const body = spec.body ? validateOrThrow(spec.body, req.body ?? (spec.bodyType === 'text-csv' ? '' : {}), 'body') : undefined;
        const result = await handler({ params, query, body, principal: res.locals.principal as Principal, req, res } as never);
        if (!result || res.headersSent) return;
        if (opts.validateResponses) {
          const validate = responseValidators.get(result.status);
          if (!spec.responses[result.status]) throw new Error(`${spec.operationId} answered ${result.status}, not in its spec`);
          if (validate && !validate(result.body)) {
            const problems = toDetails(validate.errors, 'response').map((d) => d.message);
            throw new Error(`${spec.operationId} response does not match its schema: ${problems.join('; ')}`);
          }
        }
        if (result.headers) res.set(result.headers);
        if (result.body === undefined) res.status(result.status).end();
        else res.status(result.status).json(result.body);
      } catch (err) {
        next(err);
      }
    };
    const chain = [authGuard(spec, opts.authenticator, opts.publicOrigin), ...bodyParser(spec, opts.bodyLimit), run];
    router[spec.method](toExpressPath(spec.path), ...chain);
  }
}
