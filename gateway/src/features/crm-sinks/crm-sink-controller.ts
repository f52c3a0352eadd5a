import { ADMINS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { LeadTrigger } from '../leads/lead-types.js';
import {
  createCrmSinkRequestSchema,
  createdCrmSinkSchema,
  crmSinkIdParamsSchema,
  crmSinkListSchema,
  crmSinkParamsSchema,
  crmSinkSchema,
  updateCrmSinkRequestSchema,
} from './crm-sink-schemas.js';
import type { CrmSinkService } from './crm-sink-service.js';
import type { CrmSink } from './crm-sink-types.js';

export const toApiCrmSink = (s: CrmSink) => ({
  id: s.id,
  siteId: s.siteId,
  kind: s.kind,
  name: s.name,
  config: { ...s.config },
  deliverOn: [...s.deliverOn],
  status: s.status,
  disabledReason: s.disabledReason,
  managedBy: s.managedBy,
  hasSecrets: s.hasSecrets,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

/** CRUD for a site's CRM sinks (admins and owners). Secrets are write-only. */
export class CrmSinkController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(sinks: CrmSinkService) {
    const tags = ['crm'];
    const base = '/v1/sites/{siteId}/crm-sinks';
    this.routes = [
      route(
        {
          method: 'get',
          path: base,
          operationId: 'listCrmSinks',
          summary: "The site's CRM sinks",
          tags,
          auth: ADMINS,
          params: crmSinkParamsSchema,
          responses: { 200: { description: 'Sinks', schema: crmSinkListSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: { items: (await sinks.list(principal, params.siteId)).map(toApiCrmSink) } }),
      ),
      route(
        {
          method: 'post',
          path: base,
          operationId: 'createCrmSink',
          summary: "Send the site's leads to a CRM or a signed webhook",
          tags,
          auth: ADMINS,
          params: crmSinkParamsSchema,
          body: createCrmSinkRequestSchema,
          responses: { 201: { description: 'Created; the feedback token is shown only here', schema: createdCrmSinkSchema } },
        },
        async ({ principal, params, body }) => {
          const { sink, feedbackToken } = await sinks.create(principal, params.siteId, {
            kind: body.kind,
            name: body.name,
            config: body.config as Record<string, unknown>,
            secrets: body.secrets as Record<string, unknown>,
            ...(body.deliverOn ? { deliverOn: body.deliverOn as LeadTrigger[] } : {}),
          });
          return { status: 201, body: { sink: toApiCrmSink(sink), feedbackToken } };
        },
      ),
      route(
        {
          method: 'get',
          path: `${base}/{sinkId}`,
          operationId: 'getCrmSink',
          summary: 'One CRM sink',
          tags,
          auth: ADMINS,
          params: crmSinkIdParamsSchema,
          responses: { 200: { description: 'The sink', schema: crmSinkSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiCrmSink(await sinks.get(principal, params.siteId, params.sinkId)) }),
      ),
      route(
        {
          method: 'patch',
          path: `${base}/{sinkId}`,
          operationId: 'updateCrmSink',
          summary: 'Change a CRM sink (re-enable one that was disabled, rotate its secrets)',
          tags,
          auth: ADMINS,
          params: crmSinkIdParamsSchema,
          body: updateCrmSinkRequestSchema,
          responses: { 200: { description: 'The sink', schema: crmSinkSchema } },
        },
        async ({ principal, params, body }) => {
          const sink = await sinks.update(principal, params.siteId, params.sinkId, {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.config !== undefined ? { config: body.config as Record<string, unknown> } : {}),
            ...(body.secrets !== undefined ? { secrets: body.secrets as Record<string, unknown> } : {}),
            ...(body.deliverOn !== undefined ? { deliverOn: body.deliverOn as LeadTrigger[] } : {}),
            ...(body.status !== undefined ? { status: body.status } : {}),
          });
          return { status: 200, body: toApiCrmSink(sink) };
        },
      ),
      route(
        {
          method: 'delete',
          path: `${base}/{sinkId}`,
          operationId: 'deleteCrmSink',
          summary: 'Remove a CRM sink (its pending deliveries die with it)',
          tags,
          auth: ADMINS,
          params: crmSinkIdParamsSchema,
          responses: { 204: { description: 'Deleted' } },
        },
        async ({ principal, params }) => {
          await sinks.delete(principal, params.siteId, params.sinkId);
          return { status: 204 };
        },
      ),
    ];
  }
}
