import { ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import { E164_PATTERN } from '../../shared/phone.js';
import type { Clock } from '../../shared/clock.js';
import type { LeaseRecord } from './lease-history-read-model.js';
import type { NumberHolderService } from './number-holder-service.js';

const leaseSchema = {
  $id: 'NumberLease',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'poolId', 'trackingNumberId', 'e164', 'sessionId', 'visitorId', 'leasedAt', 'releasedAt', 'releaseReason', 'reclaimedFrom'],
  properties: {
    id: { type: 'string' },
    poolId: { type: 'string' },
    trackingNumberId: { type: 'string' },
    e164: { type: 'string' },
    sessionId: { type: 'string' },
    visitorId: { type: ['string', 'null'] },
    leasedAt: { type: 'string', format: 'date-time' },
    releasedAt: { type: ['string', 'null'], format: 'date-time', description: 'null: still held (or not yet written behind)' },
    releaseReason: { type: ['string', 'null'], enum: ['expired', 'left', 'reclaimed', 'call', 'admin', null] },
    reclaimedFrom: { type: ['string', 'null'] },
  },
} as const;

const holderResponseSchema = {
  $id: 'NumberHolder',
  type: 'object',
  additionalProperties: false,
  required: ['e164', 'at', 'live', 'lease'],
  properties: {
    e164: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    live: {
      type: ['object', 'null'],
      description: 'From the live lease state (current leases only)',
      additionalProperties: false,
      required: ['leaseId', 'sessionId', 'visitorId', 'poolId', 'leasedAt', 'lastSeenAt', 'reclaimed'],
      properties: {
        leaseId: { type: 'string' },
        sessionId: { type: 'string' },
        visitorId: { type: ['string', 'null'] },
        poolId: { type: 'string' },
        leasedAt: { type: 'string', format: 'date-time' },
        lastSeenAt: { type: 'string', format: 'date-time' },
        reclaimed: { type: 'boolean' },
      },
    },
    lease: { anyOf: [leaseSchema, { type: 'null' }], description: 'From the history: the lease whose range covers the time' },
  },
} as const;

const holderQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['e164'],
  properties: {
    e164: { type: 'string', pattern: E164_PATTERN },
    at: { type: 'string', format: 'date-time', description: 'Default: now' },
  },
} as const;

const toApiLease = (l: LeaseRecord) => ({
  ...l,
  leasedAt: l.leasedAt.toISOString(),
  releasedAt: l.releasedAt ? l.releasedAt.toISOString() : null,
  releaseReason: l.releaseReason as 'expired' | 'left' | 'reclaimed' | 'call' | 'admin' | null,
});

/** "Who held this number at that time": the live state for now, the history for any time. */
export class NumberLeaseController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(holders: NumberHolderService, clock: Clock) {
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/number-leases/holder',
          operationId: 'getNumberHolder',
          summary: 'Who held a tracking number at a given time',
          tags: ['pools'],
          auth: ANY_ROLE,
          query: holderQuerySchema,
          responses: { 200: { description: 'The holder, if any', schema: holderResponseSchema } },
        },
        async ({ principal, query }) => {
          const at = query.at ? new Date(query.at) : clock.now();
          const { live, lease } = await holders.holderAt(principal, query.e164, at);
          return {
            status: 200,
            body: {
              e164: query.e164,
              at: at.toISOString(),
              live: live ? { ...live, leasedAt: live.leasedAt.toISOString(), lastSeenAt: live.lastSeenAt.toISOString() } : null,
              lease: lease ? toApiLease(lease) : null,
            },
          };
        },
      ),
    ];
  }
}
