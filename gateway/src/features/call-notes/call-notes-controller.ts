import { ANY_ROLE, CALL_HANDLERS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import { callNotesParamsSchema, callNotesSchema, tagListSchema, updateCallNotesRequestSchema } from './call-notes-schemas.js';
import type { CallNotesService } from './call-notes-service.js';
import type { CallNotes } from './call-notes-store.js';

const toApi = (n: CallNotes) => ({ ...n, tags: [...n.tags], updatedAt: n.updatedAt ? n.updatedAt.toISOString() : null });

export class CallNotesController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(notes: CallNotesService) {
    const tags = ['calls'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/calls/{callId}/notes',
          operationId: 'getCallNotes',
          summary: "A call's tags, note and spam mark",
          tags,
          auth: ANY_ROLE,
          params: callNotesParamsSchema,
          responses: { 200: { description: 'The notes (empty when none were written)', schema: callNotesSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApi(await notes.get(principal, params.callId)) }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/calls/{callId}/notes',
          operationId: 'updateCallNotes',
          summary: "Change a call's tags, note or spam mark (fields left out stay)",
          tags,
          auth: CALL_HANDLERS,
          params: callNotesParamsSchema,
          body: updateCallNotesRequestSchema,
          responses: { 200: { description: 'The notes', schema: callNotesSchema } },
        },
        async ({ principal, params, body }) => ({
          status: 200,
          body: toApi(
            await notes.update(principal, params.callId, {
              ...(body.tags ? { tags: [...body.tags] } : {}),
              ...(body.note !== undefined ? { note: body.note } : {}),
              ...(body.spam !== undefined ? { spam: body.spam } : {}),
            }),
          ),
        }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/call-tags',
          operationId: 'listCallTags',
          summary: 'Tags in use on calls, most used first',
          tags,
          auth: ANY_ROLE,
          responses: { 200: { description: 'Tags', schema: tagListSchema } },
        },
        async ({ principal }) => ({ status: 200, body: { items: await notes.tags(principal) } }),
      ),
    ];
  }
}
