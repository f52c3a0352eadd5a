import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import {
  createTrackingNumberRequestSchema,
  trackingNumberIdParamsSchema,
  trackingNumberListQuerySchema,
  trackingNumberListSchema,
  trackingNumberSchema,
  updateTrackingNumberRequestSchema,
} from './tracking-number-schemas.js';
import type { TrackingNumberService } from './tracking-number-service.js';
import type { TrackingNumber } from './tracking-number-store-type.js';

export const toApiTrackingNumber = (n: TrackingNumber) => ({
  id: n.id,
  siteId: n.siteId,
  poolId: n.poolId,
  e164: n.e164,
  provider: n.provider,
  providerRef: n.providerRef,
  forwardTo: n.forwardTo,
  status: n.status,
  statusChangedAt: n.statusChangedAt.toISOString(),
  quarantinedUntil: n.quarantinedUntil ? n.quarantinedUntil.toISOString() : null,
  monthlyCost: n.monthlyCost,
  currency: n.currency,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
});

export class TrackingNumberController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(numbers: TrackingNumberService) {
    const tags = ['tracking-numbers'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/tracking-numbers',
          operationId: 'listTrackingNumbers',
          summary: "The account's tracking numbers",
          tags,
          auth: ANY_ROLE,
          query: trackingNumberListQuerySchema,
          responses: { 200: { description: 'Numbers', schema: trackingNumberListSchema } },
        },
        async ({ principal, query }) => ({ status: 200, body: { items: (await numbers.list(principal, query)).map(toApiTrackingNumber) } }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/tracking-numbers',
          operationId: 'createTrackingNumber',
          summary: 'Register a tracking number (bought on Twilio or a DID on Asterisk), optionally into a pool',
          tags,
          auth: ADMINS,
          body: createTrackingNumberRequestSchema,
          responses: { 201: { description: 'Created', schema: trackingNumberSchema }, 409: { description: 'The number is already registered' } },
        },
        async ({ principal, body }) => ({ status: 201, body: toApiTrackingNumber(await numbers.create(principal, body)) }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/tracking-numbers/{numberId}',
          operationId: 'getTrackingNumber',
          summary: 'One tracking number',
          tags,
          auth: ANY_ROLE,
          params: trackingNumberIdParamsSchema,
          responses: { 200: { description: 'The number', schema: trackingNumberSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiTrackingNumber(await numbers.get(principal, params.numberId)) }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/tracking-numbers/{numberId}',
          operationId: 'updateTrackingNumber',
          summary: 'Move a number to another pool, pause, quarantine or reactivate it, change where it forwards',
          tags,
          auth: ADMINS,
          params: trackingNumberIdParamsSchema,
          body: updateTrackingNumberRequestSchema,
          responses: { 200: { description: 'The number', schema: trackingNumberSchema }, 409: { description: 'The number was released' } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: toApiTrackingNumber(await numbers.update(principal, params.numberId, body)) }),
      ),
      route(
        {
          method: 'delete',
          path: '/v1/tracking-numbers/{numberId}',
          operationId: 'releaseTrackingNumber',
          summary: 'Release a number: out of every pool, history kept',
          tags,
          auth: ADMINS,
          params: trackingNumberIdParamsSchema,
          responses: { 204: { description: 'Released' } },
        },
        async ({ principal, params }) => {
          await numbers.release(principal, params.numberId);
          return { status: 204 };
        },
      ),
    ];
  }
}
