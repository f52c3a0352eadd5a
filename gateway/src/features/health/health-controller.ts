import type { Registry } from 'prom-client';
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

export class HealthController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(deps: { checks: readonly ReadinessCheck[]; registry: Registry; openApi: () => object }) {
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
          tags,
          auth: 'public',
          responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
        },
        async ({ res }) => {
          const text = await deps.registry.metrics();
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
