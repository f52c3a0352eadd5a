import { ADMINS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { OutboxService } from './outbox-service.js';
import type { OutboxMessage, OutboxStatus } from './outbox-types.js';

const statuses = { type: 'string', enum: ['pending', 'delivering', 'delivered', 'dead', 'cancelled'] } as const;

export const outboxMessageSchema = {
  $id: 'OutboxMessage',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'topic',
    'sinkId',
    'aggregateId',
    'callId',
    'leadId',
    'dedupeKey',
    'payload',
    'status',
    'attempts',
    'nextAttemptAt',
    'lastError',
    'createdAt',
    'deliveredAt',
  ],
  properties: {
    id: { type: 'string' },
    topic: { type: 'string' },
    sinkId: { type: ['string', 'null'] },
    aggregateId: { type: ['string', 'null'], description: 'What deliveries are ordered by: the customer lead for CRM rows' },
    callId: { type: ['string', 'null'], description: 'The call the delivery reports' },
    leadId: { type: ['string', 'null'], description: 'The customer lead of that call' },
    dedupeKey: { type: 'string' },
    payload: { type: 'object' },
    status: statuses,
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'string', format: 'date-time' },
    lastError: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    deliveredAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const outboxListSchema = {
  $id: 'OutboxMessageList',
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextBefore'],
  properties: {
    items: { type: 'array', items: outboxMessageSchema },
    nextBefore: { type: ['string', 'null'], description: 'Pass as `before` for the next (older) page' },
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: statuses,
    topic: { type: 'string', minLength: 1 },
    sinkId: { type: 'string', minLength: 1 },
    callId: { type: 'string', minLength: 1 },
    leadId: { type: 'string', minLength: 1 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    before: { type: 'string', minLength: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
  },
} as const;

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;

export const outboxReplayRequestSchema = {
  $id: 'OutboxReplayRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    callId: { type: 'string', minLength: 1 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time', description: 'Exclusive' },
    sinkId: { type: 'string', minLength: 1 },
  },
} as const;

const replayResponse = {
  $id: 'OutboxReplayResponse',
  type: 'object',
  additionalProperties: false,
  required: ['replayed'],
  properties: { replayed: { type: 'integer' } },
} as const;

const toApi = (m: OutboxMessage) => ({
  id: m.id,
  topic: m.topic,
  sinkId: m.sinkId,
  aggregateId: m.aggregateId,
  callId: typeof m.payload.callId === 'string' ? m.payload.callId : null,
  leadId: typeof m.payload.leadId === 'string' ? m.payload.leadId : null,
  dedupeKey: m.dedupeKey,
  payload: { ...m.payload },
  status: m.status,
  attempts: m.attempts,
  nextAttemptAt: m.nextAttemptAt.toISOString(),
  lastError: m.lastError,
  createdAt: m.createdAt.toISOString(),
  deliveredAt: m.deliveredAt?.toISOString() ?? null,
});

/** Admin view of deliveries: inspect, retry a dead one, replay a call or a time range. */
export class OutboxController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(outbox: OutboxService) {
    const tags = ['outbox'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/outbox',
          operationId: 'listOutbox',
          summary: 'Deliveries, newest first',
          tags,
          auth: ADMINS,
          query: listQuery,
          responses: { 200: { description: 'A page of deliveries', schema: outboxListSchema } },
        },
        async ({ principal, query }) => {
          const limit = query.limit ?? 50;
          const items = await outbox.list(principal, {
            ...(query.status ? { status: query.status as OutboxStatus } : {}),
            ...(query.topic ? { topic: query.topic } : {}),
            ...(query.sinkId ? { sinkId: query.sinkId } : {}),
            ...(query.callId ? { callId: query.callId } : {}),
            ...(query.leadId ? { leadId: query.leadId } : {}),
            ...(query.from ? { createdFrom: new Date(query.from) } : {}),
            ...(query.to ? { createdTo: new Date(query.to) } : {}),
            ...(query.before ? { before: query.before } : {}),
            limit,
          });
          return { status: 200, body: { items: items.map(toApi), nextBefore: items.length === limit ? (items.at(-1)?.id ?? null) : null } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/outbox/{id}',
          operationId: 'getOutboxMessage',
          summary: 'One delivery, with its last error',
          tags,
          auth: ADMINS,
          params: idParams,
          responses: { 200: { description: 'The delivery', schema: outboxMessageSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApi(await outbox.get(principal, params.id)) }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/outbox/{id}/retry',
          operationId: 'retryOutboxMessage',
          summary: 'Try a dead (or waiting) delivery again now, with a fresh retry budget',
          tags,
          auth: ADMINS,
          params: idParams,
          responses: { 200: { description: 'Queued', schema: outboxMessageSchema }, 409: { description: 'Delivering or already delivered' } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApi(await outbox.retry(principal, params.id)) }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/outbox/replay',
          operationId: 'replayOutbox',
          summary: 'Send again every delivery of a call, or created in [from, to)',
          tags,
          auth: ADMINS,
          body: outboxReplayRequestSchema,
          responses: { 200: { description: 'How many deliveries were queued again', schema: replayResponse } },
        },
        async ({ principal, body }) => ({
          status: 200,
          body: {
            replayed: await outbox.replay(principal, {
              ...(body.callId ? { callId: body.callId } : {}),
              ...(body.from ? { from: new Date(body.from) } : {}),
              ...(body.to ? { to: new Date(body.to) } : {}),
              ...(body.sinkId ? { sinkId: body.sinkId } : {}),
            }),
          },
        }),
      ),
    ];
  }
}
