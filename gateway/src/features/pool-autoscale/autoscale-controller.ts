import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { type Controller, type RouteDefinition, route } from '../../http/route.js';
import {
  actionListQuerySchema,
  actionParamsSchema,
  autoscaleActionListSchema,
  autoscaleActionSchema,
  autoscaleSchema,
  autoscaleSettingsSchema,
  poolParamsSchema,
} from './autoscale-schemas.js';
import { type AutoscaleService, undoable } from './autoscale-service.js';
import type { AutoscaleAction, AutoscaleState } from './autoscale-types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toApi = (s: AutoscaleState & { pending: number }) => ({
  poolId: s.poolId,
  settings: { ...s.settings },
  aboveSince: iso(s.aboveSince),
  belowSince: iso(s.belowSince),
  pending: s.pending,
});
const toApiAction = (a: AutoscaleAction) => ({
  id: a.id,
  poolId: a.poolId,
  trackingNumberId: a.trackingNumberId,
  e164: a.e164,
  action: a.action,
  status: a.status,
  details: a.details,
  decidedBy: a.decidedBy,
  decidedAt: iso(a.decidedAt),
  createdAt: a.createdAt.toISOString(),
  undoable: undoable(a),
});

/** `/v1/pools/{poolId}/autoscale`: the pool's autoscaling settings, its action log, and an admin's undo or decision. */
export class AutoscaleController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(svc: AutoscaleService) {
    const tags = ['pools'];
    const decision = (verb: 'undo' | 'confirm' | 'reject', summary: string, description: string) =>
      route(
        {
          method: 'post',
          path: `/v1/pools/{poolId}/autoscale/actions/{actionId}/${verb}`,
          operationId: `${verb}PoolAutoscaleAction`,
          summary,
          description,
          tags,
          auth: ADMINS,
          params: actionParamsSchema,
          responses: {
            200: { description: 'The action as it stands now (for undo: the reversal logged)', schema: autoscaleActionSchema },
            404: { description: 'No such pool or action' },
            409: { description: 'Not possible in its state (already decided, final, or the number changed since)' },
          },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiAction(await svc[verb](principal, params.poolId, params.actionId)) }),
      );
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/pools/{poolId}/autoscale',
          operationId: 'getPoolAutoscale',
          summary: "The pool's autoscaling settings and timers (off unless enabled)",
          tags,
          auth: ANY_ROLE,
          params: poolParamsSchema,
          responses: { 200: { description: 'Settings and state', schema: autoscaleSchema }, 404: { description: 'No such pool' } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApi(await svc.get(principal, params.poolId)) }),
      ),
      route(
        {
          method: 'put',
          path: '/v1/pools/{poolId}/autoscale',
          operationId: 'putPoolAutoscale',
          summary: 'Change autoscaling (fields merge over the current settings)',
          description:
            'While the recommended size stays above the active numbers for growAfterMinutes, numbers the autoscaler paused come back, then Twilio numbers are bought into the pool within maxSize and monthlyCostCap. While it stays below for shrinkAfterHours, the least-called surplus numbers are paused; after quarantineAfterDays they are quarantined, after releaseAfterDays released. A number that took a call in the last 30 days is never released without an admin confirming the pending action.',
          tags,
          auth: ADMINS,
          params: poolParamsSchema,
          body: autoscaleSettingsSchema,
          responses: { 200: { description: 'Settings and state', schema: autoscaleSchema }, 400: { description: 'Bad settings' } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: toApi(await svc.put(principal, params.poolId, body)) }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/pools/{poolId}/autoscale/actions',
          operationId: 'listPoolAutoscaleActions',
          summary: 'Every action the autoscaler took or proposes, and the reversals, newest first',
          tags,
          auth: ANY_ROLE,
          params: poolParamsSchema,
          query: actionListQuerySchema,
          responses: { 200: { description: 'Actions', schema: autoscaleActionListSchema } },
        },
        async ({ principal, params, query }) => ({
          status: 200,
          body: { items: (await svc.actions(principal, params.poolId, query.limit ?? 100)).map(toApiAction) },
        }),
      ),
      decision(
        'undo',
        'Undo a pause or quarantine: the number is active again',
        'A release cannot be undone (the number went back to the carrier); a purchase is reversed by releasing the number.',
      ),
      decision(
        'confirm',
        'Confirm a pending release of a number that took calls in the last 30 days',
        'The number is given back to the carrier: final.',
      ),
      decision(
        'reject',
        'Keep the number of a pending release: it goes back into rotation',
        'The autoscaler may propose it again after another shrink period.',
      ),
    ];
  }
}
