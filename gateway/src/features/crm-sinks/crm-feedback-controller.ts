import { rawBodyOf } from '../../http/mount-routes.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { CrmFeedbackService, FeedbackResult } from './crm-feedback-service.js';

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
  required: ['id', 'callId', 'leadId', 'leadStatus', 'created'],
  properties: {
    id: { type: 'string' },
    callId: { type: ['string', 'null'] },
    leadId: { type: ['string', 'null'], description: 'The customer lead the outcome was recorded on' },
    leadStatus: { type: ['string', 'null'], enum: ['open', 'won', 'lost', null] },
    created: { type: 'boolean' },
  },
} as const;

export const crmStatusEventResponseSchema = {
  $id: 'CrmStatusEventResponse',
  type: 'object',
  additionalProperties: false,
  required: ['matched', 'leadId', 'leadStatus'],
  properties: {
    matched: { type: 'boolean', description: 'false: the order or lead is not one of ours; nothing was stored' },
    leadId: { type: ['string', 'null'] },
    leadStatus: { type: ['string', 'null'], enum: ['open', 'won', 'lost', null] },
  },
} as const;

/** Fields of a RetailCRM trigger's "HTTP request" action, named as the order's API v5 fields (see docs/analytics.md). */
export const retailCrmStatusRequestSchema = {
  $id: 'RetailCrmStatusRequest',
  type: 'object',
  // A trigger may send more of the order than we read.
  additionalProperties: true,
  required: ['status'],
  properties: {
    id: { type: 'string', pattern: '^[0-9]{1,20}$', description: "RetailCRM's order id ({{ order.id }})" },
    externalId: { type: 'string', minLength: 1, maxLength: 100, description: 'Our id of the order ({{ order.externalId }})' },
    status: { type: 'string', minLength: 1, maxLength: 100, description: 'The status code ({{ order.status }})' },
    totalSumm: { type: 'string', pattern: '^[0-9]{1,12}([.,][0-9]{1,2})?$', description: 'The order total ({{ order.totalSumm }})' },
    currency: { type: 'string', pattern: '^[A-Za-z]{3}$' },
  },
} as const;

/** A Bitrix24 outbound event as it is posted (form fields, PHP-style keys). */
export const bitrix24EventRequestSchema = {
  $id: 'Bitrix24EventRequest',
  type: 'object',
  additionalProperties: true,
  required: ['event', 'data[FIELDS][ID]', 'auth[application_token]'],
  properties: {
    event: { type: 'string', minLength: 1, maxLength: 100, description: 'ONCRMLEADUPDATE or ONCRMDEALUPDATE' },
    'data[FIELDS][ID]': { type: 'string', pattern: '^[0-9]{1,20}$' },
    'auth[application_token]': { type: 'string', minLength: 1, maxLength: 200 },
    'auth[domain]': { type: 'string' },
    ts: { type: 'string' },
  },
} as const;

const tokenQuery = {
  type: 'object',
  additionalProperties: true,
  properties: { token: { type: 'string', minLength: 1, maxLength: 200, description: 'The feedback token of the sink' } },
} as const;

const sinkParams = {
  type: 'object',
  additionalProperties: false,
  required: ['sinkId'],
  properties: { sinkId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const statusEventBody = (r: FeedbackResult | null) => ({ matched: r !== null, leadId: r?.lead?.id ?? null, leadStatus: r?.lead?.status ?? null });

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
          const { conversion, created, lead } = await feedback.record(
            params.sinkId,
            {
              bearer: m?.[1] ?? null,
              webhook: { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
              rawBody: raw ? raw.toString('utf8') : null,
            },
            body,
          );
          return {
            status: 200,
            body: { id: conversion.id, callId: conversion.callId, leadId: conversion.leadId, leadStatus: lead?.status ?? null, created },
          };
        },
      ),
      route(
        {
          method: 'post',
          path: '/v1/crm-feedback/{sinkId}/retailcrm',
          operationId: 'postRetailCrmStatus',
          summary: "RetailCRM reports an order's status and total (a trigger's HTTP request)",
          description:
            'Form fields id / externalId, status, totalSumm, currency. Authenticated by the sink feedback token in ?token= or Authorization: Bearer. The status code maps to won / lost / open per the sink config (wonStatuses, lostStatuses).',
          tags: ['crm'],
          auth: 'public',
          params: sinkParams,
          query: tokenQuery,
          body: retailCrmStatusRequestSchema,
          bodyType: 'form',
          responses: {
            200: { description: 'Recorded, or not one of our orders (matched false)', schema: crmStatusEventResponseSchema },
            401: { description: 'Bad token' },
            422: { description: "The total is in another currency than the site's" },
          },
        },
        async ({ params, query, body, req }) => {
          const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
          const token = typeof query.token === 'string' ? query.token : (m?.[1] ?? null);
          const result = await feedback.recordRetailCrm(params.sinkId, token, {
            ...(body.id ? { id: body.id } : {}),
            ...(body.externalId ? { externalId: body.externalId } : {}),
            status: body.status,
            ...(body.totalSumm ? { totalSumm: Number(body.totalSumm.replace(',', '.')) } : {}),
            ...(body.currency ? { currency: body.currency.toUpperCase() } : {}),
          });
          return { status: 200, body: statusEventBody(result) };
        },
      ),
      route(
        {
          method: 'post',
          path: '/v1/crm-feedback/{sinkId}/bitrix24',
          operationId: 'postBitrix24Event',
          summary: 'Bitrix24 outbound event ONCRMLEADUPDATE / ONCRMDEALUPDATE',
          description:
            "The event carries only the entity id: the lead or deal is read back with crm.lead.get / crm.deal.get through the sink's webhook, its STATUS_ID / STAGE_ID mapped per the sink config. Authenticated by auth[application_token] (the sink secret applicationToken).",
          tags: ['crm'],
          auth: 'public',
          params: sinkParams,
          body: bitrix24EventRequestSchema,
          bodyType: 'form',
          responses: {
            200: { description: 'Recorded, or not one of our leads (matched false)', schema: crmStatusEventResponseSchema },
            401: { description: 'Wrong application_token' },
            422: { description: "The amount is in another currency than the site's" },
            502: { description: 'Bitrix24 did not answer the read-back' },
          },
        },
        async ({ params, body }) => {
          const result = await feedback.recordBitrix24(params.sinkId, {
            event: body.event,
            entityId: body['data[FIELDS][ID]'],
            applicationToken: body['auth[application_token]'],
          });
          return { status: 200, body: statusEventBody(result) };
        },
      ),
    ];
  }
}
