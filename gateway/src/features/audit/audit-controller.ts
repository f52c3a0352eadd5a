import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ForbiddenError } from '../../errors/app-error.js';
import { ANY_ROLE } from '../../http/principal.js';
import type { Principal } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { AuditReadModel, AuditView } from './audit-read-model.js';

const nullableString = { type: ['string', 'null'] } as const;

export const auditEntrySchema = {
  $id: 'AuditEntry',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'at', 'action', 'targetType', 'targetId', 'actor', 'ip', 'details'],
  properties: {
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    action: { type: 'string', description: 'e.g. recording.listen, call.reassign, site.update' },
    targetType: nullableString,
    targetId: nullableString,
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['userId', 'apiKeyId', 'label'],
      properties: { userId: nullableString, apiKeyId: nullableString, label: { ...nullableString, description: 'Email or key name' } },
    },
    ip: nullableString,
    details: { type: 'object' },
  },
} as const;

const auditListSchema = {
  $id: 'AuditList',
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: auditEntrySchema }, nextCursor: nullableString },
} as const;

const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    action: { type: 'string', maxLength: 100, description: 'Exact action, or a prefix ending in "." (recording.)' },
    targetType: { type: 'string', maxLength: 40 },
    targetId: { type: 'string', maxLength: 64 },
    actorUserId: { type: 'string', maxLength: 64 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 200 },
  },
} as const;

const toApi = (e: AuditView) => ({ ...e, at: e.at.toISOString(), actor: { ...e.actor } });

const encodeCursor = (e: AuditView) => Buffer.from(`${e.at.toISOString()}|${e.id}`).toString('base64url');
function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const d = new Date(at ?? '');
  if (!id || Number.isNaN(d.getTime()))
    throw new BadDataError('Invalid cursor', [{ path: 'query/cursor', message: 'Not a cursor this API returned' }]);
  return { at: d, id };
}

/**
 * Admins read the whole log; a manager or analyst may only read the history of one call (the call card's
 * "who changed what"), never the account-wide log.
 */
function allowed(p: Principal, q: { targetType?: string; targetId?: string }): boolean {
  if (p.role === 'owner' || p.role === 'admin') return true;
  return p.role === 'manager' && q.targetType === 'call' && !!q.targetId;
}

export class AuditController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(deps: { db: Db; readModel: AuditReadModel }) {
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/audit',
          operationId: 'listAudit',
          summary: 'The audit log (recording listens, admin changes), newest first, filterable',
          description: 'Admins and owners see everything; managers only the entries of one call (targetType=call&targetId=…).',
          tags: ['audit'],
          auth: ANY_ROLE,
          query: auditQuerySchema,
          responses: { 200: { description: 'A page of entries', schema: auditListSchema } },
        },
        async ({ principal, query }) => {
          if (!allowed(principal, query)) throw new ForbiddenError('The audit log is for admins; managers may read one call’s history');
          const limit = query.limit ?? 50;
          const prefix = query.action?.endsWith('.') ? query.action : undefined;
          const items = await deps.readModel.list(deps.db, principal.accountId, {
            limit: limit + 1,
            ...(query.action && !prefix ? { action: query.action } : {}),
            ...(prefix ? { actionPrefix: prefix } : {}),
            ...(query.targetType ? { targetType: query.targetType } : {}),
            ...(query.targetId ? { targetId: query.targetId } : {}),
            ...(query.actorUserId ? { actorUserId: query.actorUserId } : {}),
            ...(query.from ? { from: new Date(query.from) } : {}),
            ...(query.to ? { to: new Date(query.to) } : {}),
            ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
          });
          const page = items.slice(0, limit);
          return { status: 200, body: { items: page.map(toApi), nextCursor: items.length > limit ? encodeCursor(page[page.length - 1]!) : null } };
        },
      ),
    ];
  }
}
