import { rawBodyOf } from '../../http/mount-routes.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { CrmFeedbackService } from './crm-feedback-service.js';

export const crmFeedbackRequestSchema = {
  $id: 'CrmFeedbackRequest',
  type: 'object',
  additionalProperties: false,
  required: ['stage', 'status'],
  properties: {
    callId: { type: 'string', minLength: 1, maxLength: 100 },
    externalRecordId: { type: 'string', minLength: 1, maxLength: 200, description: "The CRM's id of the lead/order" },
    stage: { type: 'string', minLength: 1, maxLength: 200, description: "The CRM's stage or status code" },
    status: { type: 'string', enum: ['won', 'lost', 'open'] },
    amount: { type: 'number', minimum: 0, maximum: 1e12 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    occurredAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const crmFeedbackResponseSchema = {
  $id: 'CrmFeedbackResponse',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'callId', 'created'],
  properties: { id: { type: 'string' }, callId: { type: ['string', 'null'] }, created: { type: 'boolean' } },
} as const;

const sinkParams = {
  type: 'object',
  additionalProperties: false,
  required: ['sinkId'],
  properties: { sinkId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** Where CRMs report back: protected by the sink's feedback token or, for webhook sinks, a Standard Webhooks signature. */
export class CrmFeedbackController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(feedback: CrmFeedbackService) {
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/crm-feedback/{sinkId}',
          operationId: 'postCrmFeedback',
          summary: "A CRM reports a lead's stage and revenue",
          description:
            'Authorization: Bearer <feedback token of the sink>, or webhook-id/webhook-timestamp/webhook-signature signed with the webhook sink secret.',
          tags: ['crm'],
          auth: 'public',
          params: sinkParams,
          body: crmFeedbackRequestSchema,
          responses: {
            200: { description: 'Stored (created false: an update of a stage already reported)', schema: crmFeedbackResponseSchema },
            401: { description: 'Bad token or signature' },
            404: { description: 'No lead of this sink for that call or record' },
          },
        },
        async ({ params, body, req }) => {
          const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
          const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
          const raw = rawBodyOf(req);
          const { conversion, created } = await feedback.record(
            params.sinkId,
            {
              bearer: m?.[1] ?? null,
              webhook: { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
              rawBody: raw ? raw.toString('utf8') : null,
            },
            body,
          );
          return { status: 200, body: { id: conversion.id, callId: conversion.callId, created } };
        },
      ),
    ];
  }
}
