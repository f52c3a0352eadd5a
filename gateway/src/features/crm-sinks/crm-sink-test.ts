import type { Db } from '../../adapters/db/knex.js';
import { ConflictError, NotFoundError } from '../../errors/app-error.js';
import { ADMINS } from '../../http/principal.js';
import type { Principal } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { LEAD_TOPIC } from '../leads/lead-outbox-hook.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import { crmSinkIdParamsSchema } from './crm-sink-schemas.js';

const testLeadResponseSchema = {
  $id: 'CrmSinkTestLead',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'callId'],
  properties: { id: { type: 'string', description: 'The outbox message; follow it in GET /v1/outbox/{id}' }, callId: { type: 'string' } },
} as const;

/**
 * "Send a test lead": the site's latest call goes to this one sink again, through the outbox like any lead (same
 * adapter, retries and delivery log), under its own dedupe key so it never collides with the real delivery.
 */
export class CrmSinkTestService {
  constructor(private readonly deps: { db: Db; outbox: OutboxStore; audit: AuditLog; wake: () => void }) {}

  async sendTest(actor: Principal, siteId: string, sinkId: string): Promise<{ id: string; callId: string }> {
    const sink = await this.deps
      .db('crm_sinks')
      .select('id', 'status')
      .where({ id: sinkId, account_id: actor.accountId })
      .andWhere((w) => w.where({ site_id: siteId }).orWhereNull('site_id'))
      .first();
    if (!sink) throw new NotFoundError(`CRM sink ${sinkId} not found`);
    if (sink.status !== 'active') throw new ConflictError('The integration is disabled; enable it to send a test lead');
    const call = (await this.deps
      .db('calls')
      .select('id')
      .where({ account_id: actor.accountId, site_id: siteId })
      .orderBy('started_at', 'desc')
      .first()) as { id: string } | undefined;
    if (!call) throw new ConflictError('The site has no call yet to send as a test lead');
    const msg = await this.deps.db.transaction(async (trx) => {
      const row = await this.deps.outbox.enqueue(trx, {
        accountId: actor.accountId,
        topic: LEAD_TOPIC,
        sinkId,
        aggregateId: call.id,
        dedupeKey: `test:${sinkId}:${newId()}`,
        payload: { callId: call.id, trigger: 'call.ended', test: true },
      });
      await this.deps.audit.record(trx, actor, { action: 'crm_sink.test', targetType: 'crm_sink', targetId: sinkId, details: { callId: call.id } });
      return row!;
    });
    this.deps.wake();
    return { id: msg.id, callId: call.id };
  }
}

export function createCrmSinkTestFeature(deps: { db: Db; outbox: OutboxStore; audit: AuditLog; wake: () => void }): { controllers: Controller[] } {
  const service = new CrmSinkTestService(deps);
  const routes: RouteDefinition[] = [
    route(
      {
        method: 'post',
        path: '/v1/sites/{siteId}/crm-sinks/{sinkId}/test',
        operationId: 'sendCrmSinkTestLead',
        summary: "Send the site's latest call to this CRM again as a test lead",
        tags: ['crm'],
        auth: ADMINS,
        params: crmSinkIdParamsSchema,
        responses: { 202: { description: 'Queued', schema: testLeadResponseSchema } },
      },
      async ({ principal, params }) => ({ status: 202, body: await service.sendTest(principal, params.siteId, params.sinkId) }),
    ),
  ];
  return { controllers: [{ routes }] };
}
