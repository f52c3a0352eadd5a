import express from 'express';
import type { Express, RequestHandler } from 'express';
import { NotFoundError } from '../errors/app-error.js';
import { newId } from '../shared/ids.js';
import type { Logger } from '../logging/logger.js';
import type { HttpMetrics } from '../metrics/metrics.js';
import { createErrorHandler } from './error-handler.js';
import { mountRoutes } from './mount-routes.js';
import { securityHeaders } from './security-headers.js';
import type { Authenticator } from './mount-routes.js';
import type { RouteDefinition } from './route.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly metrics: HttpMetrics;
  readonly authenticator: Authenticator;
  readonly routes: readonly RouteDefinition[];
  /** Extra express handlers mounted before the API routes (static console, widget bundle). */
  readonly statics?: readonly { path: string; handler: RequestHandler }[];
  readonly trustProxy: boolean | number | string;
  readonly validateResponses: boolean;
  /** PUBLIC_BASE_URL's origin: console writes must come from it (or from the host they were sent to). */
  readonly publicOrigin?: string;
}

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function requestLog(logger: Logger, metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const id = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 64) : newId();
    res.setHeader('X-Request-Id', id);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const routePath = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.observe(req.method, routePath, res.statusCode, seconds);
      if (!QUIET_PATHS.has(req.path)) {
        logger.info({ reqId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'http request');
      }
    });
    next();
  };
}

/** The express application: everything except the lean fast path. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestLog(deps.logger.child({ component: 'http' }), deps.metrics));
  app.use(securityHeaders({ hsts: deps.publicOrigin?.startsWith('https:') ?? false }));
  for (const s of deps.statics ?? []) app.use(s.path, s.handler);
  const api = express.Router({ caseSensitive: true, strict: false });
  mountRoutes(api, deps.routes, {
    authenticator: deps.authenticator,
    logger: deps.logger,
    validateResponses: deps.validateResponses,
    bodyLimit: '256kb',
    ...(deps.publicOrigin ? { publicOrigin: deps.publicOrigin } : {}),
  });
  app.use(api);
  app.use((req, _res, next) => next(new NotFoundError(`No route for ${req.method} ${req.path}`)));
  app.use(createErrorHandler(deps.logger.child({ component: 'http' })));
  return app;
}
