import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { PoolHealthService } from './pool-health-service.js';
import {
  createPoolRequestSchema,
  poolHealthQuerySchema,
  poolHealthSchema,
  poolIdParamsSchema,
  poolListSchema,
  poolSchema,
  updatePoolRequestSchema,
} from './pool-schemas.js';
import type { PoolService } from './pool-service.js';
import type { Pool } from './pool-store-type.js';

export const toApiPool = (p: Pool) => ({
  id: p.id,
  siteId: p.siteId,
  channelId: p.channelId,
  name: p.name,
  kind: p.kind,
  canonicalNumber: p.canonicalNumber,
  fallbackNumber: p.fallbackNumber,
  settings: { ...p.settings },
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const siteFilter = {
  type: 'object',
  additionalProperties: false,
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export class PoolController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(pools: PoolService, health: PoolHealthService) {
    const tags = ['pools'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/pools',
          operationId: 'listPools',
          summary: "The account's number pools",
          tags,
          auth: ANY_ROLE,
          query: siteFilter,
          responses: { 200: { description: 'Pools', schema: poolListSchema } },
        },
        async ({ principal, query }) => ({ status: 200, body: { items: (await pools.list(principal, query)).map(toApiPool) } }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/pools',
          operationId: 'createPool',
          summary: 'Create a pool: session (a number per live visitor) or static (one number per channel)',
          tags,
          auth: ADMINS,
          body: createPoolRequestSchema,
          responses: { 201: { description: 'Created', schema: poolSchema }, 409: { description: 'Name taken on this site' } },
        },
        async ({ principal, body }) => ({ status: 201, body: toApiPool(await pools.create(principal, body)) }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/pools/{poolId}',
          operationId: 'getPool',
          summary: 'One pool',
          tags,
          auth: ANY_ROLE,
          params: poolIdParamsSchema,
          responses: { 200: { description: 'The pool', schema: poolSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiPool(await pools.get(principal, params.poolId)) }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/pools/{poolId}',
          operationId: 'updatePool',
          summary: 'Change a pool (settings merge; a value sets, an absent field is left alone, null clears)',
          tags,
          auth: ADMINS,
          params: poolIdParamsSchema,
          body: updatePoolRequestSchema,
          responses: { 200: { description: 'The pool', schema: poolSchema } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: toApiPool(await pools.update(principal, params.poolId, body)) }),
      ),
      route(
        {
          method: 'delete',
          path: '/v1/pools/{poolId}',
          operationId: 'deletePool',
          summary: 'Delete a pool; its numbers stay, unassigned, and its live leases end',
          tags,
          auth: ADMINS,
          params: poolIdParamsSchema,
          responses: { 204: { description: 'Deleted' } },
        },
        async ({ principal, params }) => {
          await pools.delete(principal, params.poolId);
          return { status: 204 };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/pools/{poolId}/health',
          operationId: 'getPoolHealth',
          summary: 'Pool health: occupancy now, blocked visits, reclaims, reuse gap and a recommended size',
          tags,
          auth: ANY_ROLE,
          params: poolIdParamsSchema,
          query: poolHealthQuerySchema,
          responses: { 200: { description: 'Health', schema: poolHealthSchema } },
        },
        async ({ principal, params, query }) => ({ status: 200, body: await health.get(principal, params.poolId, query.hours ?? 24) }),
      ),
    ];
  }
}
