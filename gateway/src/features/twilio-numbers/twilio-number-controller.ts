import { ADMINS, OWNERS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import {
  availableNumberListSchema,
  availableNumbersQuerySchema,
  buyNumberRequestSchema,
  numberIdParamsSchema,
  twilioCredentialsRequestSchema,
  twilioCredentialsSchema,
  twilioNumberSchema,
  updateNumberRequestSchema,
} from './twilio-number-schemas.js';
import type { TwilioNumberService } from './twilio-number-service.js';
import type { TwilioTrackingNumber } from './twilio-number-store.js';

const toApi = (n: TwilioTrackingNumber) => ({
  id: n.id,
  e164: n.e164,
  providerRef: n.providerRef,
  siteId: n.siteId,
  poolId: n.poolId,
  forwardTo: n.forwardTo,
  status: n.status,
  createdAt: n.createdAt.toISOString(),
});

export class TwilioNumberController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(service: TwilioNumberService) {
    const tags = ['twilio'];
    this.routes = [
      route(
        {
          method: 'put',
          path: '/v1/twilio/credentials',
          operationId: 'connectTwilio',
          summary: "Connect the account's Twilio login (the auth token is stored encrypted)",
          tags,
          auth: OWNERS,
          body: twilioCredentialsRequestSchema,
          responses: { 200: { description: 'Connected', schema: twilioCredentialsSchema }, 409: { description: 'Connected to another account' } },
        },
        async ({ principal, body }) => ({ status: 200, body: { ...(await service.connect(principal, body)), connected: true } }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/twilio/available-numbers',
          operationId: 'searchTwilioNumbers',
          summary: 'Numbers Twilio has for sale (local, voice-enabled)',
          tags,
          auth: ADMINS,
          query: availableNumbersQuerySchema,
          responses: { 200: { description: 'Available numbers', schema: availableNumberListSchema }, 502: { description: 'Twilio failed' } },
        },
        async ({ principal, query }) => {
          const items = await service.search(principal, {
            country: query.country ?? 'US',
            limit: query.limit ?? 20,
            ...(query.areaCode !== undefined ? { areaCode: query.areaCode } : {}),
            ...(query.contains ? { contains: query.contains } : {}),
          });
          return { status: 200, body: { items: items.map((i) => ({ ...i, capabilities: { ...i.capabilities } })) } };
        },
      ),
      route(
        {
          method: 'post',
          path: '/v1/twilio/numbers',
          operationId: 'buyTwilioNumber',
          summary: 'Buy a number into a site (and pool), its voice and status URLs pointing at this gateway',
          tags,
          auth: ADMINS,
          body: buyNumberRequestSchema,
          responses: {
            201: { description: 'Bought', schema: twilioNumberSchema },
            409: { description: 'Already a tracking number' },
            502: { description: 'Twilio failed' },
          },
        },
        async ({ principal, body }) => ({
          status: 201,
          body: toApi(
            await service.buy(principal, {
              phoneNumber: body.phoneNumber,
              siteId: body.siteId,
              ...(body.poolId ? { poolId: body.poolId } : {}),
              ...(body.forwardTo ? { forwardTo: body.forwardTo } : {}),
            }),
          ),
        }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/twilio/numbers/{numberId}',
          operationId: 'updateTwilioNumber',
          summary: 'Move a number to another pool or change where it forwards',
          tags,
          auth: ADMINS,
          params: numberIdParamsSchema,
          body: updateNumberRequestSchema,
          responses: { 200: { description: 'The number', schema: twilioNumberSchema } },
        },
        async ({ principal, params, body }) => ({
          status: 200,
          body: toApi(
            await service.update(principal, params.numberId, {
              ...(body.poolId !== undefined ? { poolId: body.poolId } : {}),
              ...(body.forwardTo !== undefined ? { forwardTo: body.forwardTo } : {}),
            }),
          ),
        }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/twilio/numbers/{numberId}/repoint',
          operationId: 'repointTwilioNumber',
          summary: "Point the number's voice and status URLs at this gateway again",
          tags,
          auth: ADMINS,
          params: numberIdParamsSchema,
          responses: { 200: { description: 'The number', schema: twilioNumberSchema }, 502: { description: 'Twilio failed' } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApi(await service.repoint(principal, params.numberId)) }),
      ),
      route(
        {
          method: 'delete',
          path: '/v1/twilio/numbers/{numberId}',
          operationId: 'releaseTwilioNumber',
          summary: 'Release the number back to Twilio (its call history stays)',
          tags,
          auth: ADMINS,
          params: numberIdParamsSchema,
          responses: { 204: { description: 'Released' }, 502: { description: 'Twilio failed' } },
        },
        async ({ principal, params }) => {
          await service.release(principal, params.numberId);
          return { status: 204 };
        },
      ),
    ];
  }
}
