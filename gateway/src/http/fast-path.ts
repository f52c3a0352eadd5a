import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadDataError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';
import { stripControlCharsDeep } from '../shared/control-chars.js';
import { assertBodyDepth } from './body-depth.js';
import type { HttpMetrics } from '../metrics/metrics.js';
import { logError, sendError, toAppError } from './error-handler.js';
import type { FastRoute } from './route.js';

/**
 * The lean fast path: public hot endpoints (the widget's session and heartbeat calls) answered by node:http
 * directly, without express's middleware stack (~200 µs of CPU per request on the reference machine).
 * Only the exact method + path templates registered here are taken; everything else goes to express.
 */

interface CompiledFastRoute {
  readonly route: FastRoute;
  readonly method: string;
  readonly segments: readonly (string | { param: string })[];
}

export class FastPath {
  private readonly routes: CompiledFastRoute[];
  /**
   * Routes without path parameters by their path, where no route before them in the list takes the same path: the
   * session start is found without splitting the URL or trying the other templates.
   */
  private readonly exact = new Map<string, CompiledFastRoute>();

  constructor(
    routes: readonly FastRoute[],
    private readonly deps: { logger: Logger; metrics: HttpMetrics },
  ) {
    this.routes = routes.map((route) => ({
      route,
      method: route.spec.method.toUpperCase(),
      segments: route.spec.path
        .split('/')
        .slice(1)
        .map((s) => (/^\{\w+\}$/.test(s) ? { param: s.slice(1, -1) } : s)),
    }));
    this.routes.forEach((r, i) => {
      if (r.segments.some((seg) => typeof seg !== 'string')) return;
      const path = r.route.spec.path;
      const parts = path.split('/').slice(1);
      const earlier = this.routes.slice(0, i).some((o) => matchParams(o, parts) !== null);
      if (!earlier && !this.exact.has(path)) this.exact.set(path, r);
    });
  }

  /** Returns false when the request is not for the fast path (express takes it). */
  tryHandle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const hit = this.exact.get(pathname);
    if (hit && (req.method === 'OPTIONS' || req.method === hit.method)) {
      this.run(hit, req, res, NO_PARAMS);
      return true;
    }
    const parts = pathname.split('/').slice(1);
    for (const r of this.routes) {
      const params = matchParams(r, parts);
      if (params === null) continue;
      if (req.method === 'OPTIONS' || req.method === r.method) {
        this.run(r, req, res, params);
        return true;
      }
    }
    return false;
  }

  private run(r: CompiledFastRoute, req: IncomingMessage, res: ServerResponse, params: Record<string, string>): void {
    // performance.now() rather than hrtime.bigint(): no BigInt allocated at the start and the end of every request.
    const started = performance.now();
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.on('finish', () => {
      this.deps.metrics.observe(r.method, r.route.spec.path, res.statusCode, (performance.now() - started) / 1e3);
    });
    r.route.handle(req, res, params).catch((err: unknown) => {
      const appError = toAppError(err);
      logError(this.deps.logger, appError, err, { path: r.route.spec.path });
      sendError(res, appError);
    });
  }
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The path parameters when `parts` (the path's segments) fit the route's template, else null. */
function matchParams(r: CompiledFastRoute, parts: readonly string[]): Record<string, string> | null {
  if (r.segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = r.segments[i]!;
    const part = parts[i]!;
    if (typeof seg === 'string') {
      if (seg !== part) return null;
    } else if (part.length > 0 && part.length <= 128 && !part.includes('%')) params[seg.param] = part;
    else return null;
  }
  return params;
}

/** Reads a small request body; rejects bodies over `limit` bytes without buffering them. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new PayloadTooLargeError(`The request body is over ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new PayloadTooLargeError(`The request body is over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Parses a JSON body sent as text/plain (a CORS "simple request": no preflight) or application/json.
 * `sendBeacon` with a string sends text/plain;charset=UTF-8.
 */
export async function readJsonBody(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (media !== 'text/plain' && media !== 'application/json' && media !== '') {
    req.resume();
    throw new UnsupportedMediaTypeError(`Content-Type must be text/plain or application/json, got "${media}"`);
  }
  const raw = await readBody(req, limit);
  if (raw.length === 0) throw new BadDataError('The request body is empty', [{ message: 'The request body is empty', path: 'body' }]);
  const text = raw.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadDataError('The request body is not valid JSON', [{ message: 'The request body is not valid JSON', path: 'body' }]);
  }
  // Raw control characters are not valid JSON; escaped ones (\u0000) are, and are dropped here so no handler or
  // write-behind batch ever sees them. The check is one scan, and only bodies with escapes pay for the copy.
  if (!text.includes('\\u')) return parsed;
  assertBodyDepth(parsed);
  return stripControlCharsDeep(parsed);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  const head: Record<string, string | number> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  };
  // The hot answers pass no extra headers: no spread (an object copy) for them.
  if (headers) Object.assign(head, headers);
  res.writeHead(status, head);
  res.end(text);
}
