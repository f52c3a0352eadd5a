import { metricsText } from '../../cluster/gateway-cluster.js';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Registry } from 'prom-client';
import { NotFoundError, UnauthorizedError } from '../../errors/app-error.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when the dependency answers; must settle within a couple of seconds. */
  check(): Promise<boolean>;
}

const readySchema = {
  $id: 'Readiness',
  type: 'object',
  additionalProperties: false,
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'failing'] } },
  },
} as const;

const liveSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'uptimeSeconds'],
  properties: { status: { type: 'string', const: 'ok' }, uptimeSeconds: { type: 'number' } },
} as const;

async function withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function metricsAllowed(req: Request, token: string | null): boolean {
  if (token) {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want);
  }
  const proxied = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
  return !proxied && LOOPBACK.test(req.socket.remoteAddress ?? '');
}

export class HealthController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(deps: {
    checks: readonly ReadinessCheck[];
    registry: Registry;
    openApi: () => object;
    /** METRICS_TOKEN; null: only unproxied loopback requests get the metrics. */
    metricsToken?: string | null;
  }) {
    const tags = ['operations'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/healthz',
          operationId: 'liveness',
          summary: 'The process is up (does not touch dependencies)',
          tags,
          auth: 'public',
          responses: { 200: { description: 'Up', schema: liveSchema } },
        },
        () => ({ status: 200, headers: { 'Cache-Control': 'no-store' }, body: { status: 'ok', uptimeSeconds: Math.round(process.uptime()) } }),
      ),
      route(
        {
          method: 'get',
          path: '/readyz',
          operationId: 'readiness',
          summary: 'The database (and Redis, when configured) answer',
          tags,
          auth: 'public',
          responses: { 200: { description: 'Ready', schema: readySchema }, 503: { description: 'Not ready', schema: readySchema } },
        },
        async () => {
          const results = await Promise.all(deps.checks.map(async (c) => [c.name, await withTimeout(c.check(), 2_000)] as const));
          const ok = results.every(([, r]) => r);
          return {
            status: ok ? 200 : 503,
            headers: { 'Cache-Control': 'no-store' },
            body: { status: ok ? 'ok' : 'unavailable', checks: Object.fromEntries(results.map(([n, r]) => [n, r ? 'ok' : 'failing'])) },
          };
        },
      ),
      route(
        {
          method: 'get',
          path: '/metrics',
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          description:
            'Authorization: Bearer <METRICS_TOKEN>. Without METRICS_TOKEN only requests from the loopback interface that came through no proxy are answered.',
          tags,
          auth: 'public',
          responses: {
            200: { description: 'Prometheus text format', contentType: 'text/plain' },
            401: { description: 'Missing or wrong metrics token' },
            404: { description: 'Not served to this client (no METRICS_TOKEN and not a local request)' },
          },
        },
        async ({ req, res }) => {
          // The metrics name every tenant's pools and volumes: never public.
          if (!metricsAllowed(req, deps.metricsToken ?? null)) {
            if (deps.metricsToken) throw new UnauthorizedError('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
            throw new NotFoundError('Not found');
          }
          // In a cluster, the figures of all its processes (whichever one answered this request).
          const text = await metricsText(deps.registry);
          res.status(200).type(deps.registry.contentType).send(text);
          return undefined;
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/openapi.json',
          operationId: 'openApi',
          summary: 'This document',
          tags,
          auth: 'public',
          responses: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } },
        },
        () => ({ status: 200, body: deps.openApi() }),
      ),
    ];
  }
}
