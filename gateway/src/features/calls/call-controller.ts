import { BadDataError } from '../../errors/app-error.js';
import { ADMINS, ANY_ROLE, CALL_HANDLERS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { BlockedCallerService } from './blocked-caller-service.js';
import type { BlockedCaller } from './blocked-caller-store.js';
import {
  blockCallerRequestSchema,
  blockedCallerListSchema,
  blockedCallerParamsSchema,
  blockedCallerSchema,
  callCardSchema,
  callIdParamsSchema,
  callListQuerySchema,
  callListSchema,
  callSchema,
  reassignRequestSchema,
  siteIdOnlyParamsSchema,
} from './call-schemas.js';
import type { CallCard, CallService } from './call-service.js';
import type { Call, CallView } from './call-types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Whole seconds from start to end (ring + talk); null until the call has ended. */
const durationSeconds = (c: CallView['call']): number | null => {
  if (c.status !== 'ended') return null;
  if (c.ringSeconds !== null && c.talkSeconds !== null) return c.ringSeconds + c.talkSeconds;
  return c.endedAt ? Math.max(0, Math.round((c.endedAt.getTime() - c.startedAt.getTime()) / 1000)) : null;
};

export const toApiCall = ({ call: c, origin: o }: CallView) => ({
  id: c.id,
  siteId: c.siteId,
  provider: c.provider,
  providerCallId: c.providerCallId,
  trackingNumber: c.trackingE164,
  caller: c.caller,
  forwardTo: c.forwardTo,
  status: c.status,
  outcome: c.outcome,
  answeredBy: c.answeredBy,
  startedAt: c.startedAt.toISOString(),
  answeredAt: iso(c.answeredAt),
  endedAt: iso(c.endedAt),
  ringSeconds: c.ringSeconds,
  talkSeconds: c.talkSeconds,
  sessionId: c.sessionId,
  visitorId: c.visitorId,
  channelId: c.channelId,
  attribution: c.attribution ? { ...c.attribution, candidates: c.attribution.candidates.map((x) => ({ ...x })) } : null,
  firstTimeCaller: c.firstTimeCaller,
  blocked: c.blocked,
  leadId: c.leadId,
  durationSeconds: durationSeconds(c),
  channel: o.channel ? { ...o.channel } : null,
  source: o.source,
  medium: o.medium,
  campaign: o.campaign,
  keyword: o.keyword,
  landingPage: o.landingPage,
});

const toApiCard = (card: CallCard) => ({
  call: toApiCall({ call: card.call, origin: card.origin }),
  journey: card.journey
    ? {
        ...card.journey,
        utm: { ...card.journey.utm },
        pages: [...card.journey.pages],
        firstSeenAt: card.journey.firstSeenAt.toISOString(),
        lastSeenAt: card.journey.lastSeenAt.toISOString(),
      }
    : null,
  recordings: card.recordings.map((r) => ({
    id: r.id,
    status: r.status,
    provider: r.provider,
    durationSeconds: r.durationSeconds,
    channels: r.channels,
    sourceUrl: r.sourceUrl,
    playbackUrl: r.status === 'stored' ? `/v1/calls/${card.call.id}/recording` : null,
  })),
  events: card.events.map((e) => ({ type: e.type, eventKey: e.eventKey, occurredAt: e.occurredAt.toISOString() })),
});

const toApiBlocked = (b: BlockedCaller) => ({ siteId: b.siteId, e164: b.e164, reason: b.reason, createdAt: b.createdAt.toISOString() });

function encodeCursor(c: Call): string {
  return Buffer.from(`${c.startedAt.toISOString()}|${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const startedAt = new Date(at ?? '');
  if (!id || Number.isNaN(startedAt.getTime()))
    throw new BadDataError('Invalid cursor', [{ path: 'query/cursor', message: 'Not a cursor this API returned' }]);
  return { startedAt, id };
}

export class CallController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(calls: CallService, blockedCallers: BlockedCallerService) {
    const tags = ['calls'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/calls',
          operationId: 'listCalls',
          summary: 'Calls, newest first, with filters and keyset paging',
          tags,
          auth: ANY_ROLE,
          query: callListQuerySchema,
          responses: { 200: { description: 'A page of calls', schema: callListSchema } },
        },
        async ({ principal, query }) => {
          const limit = query.limit ?? 50;
          const items = await calls.list(principal, {
            limit: limit + 1,
            ...(query.from ? { from: new Date(query.from) } : {}),
            ...(query.to ? { to: new Date(query.to) } : {}),
            ...(query.siteId ? { siteId: query.siteId } : {}),
            ...(query.channelId ? { channelId: query.channelId } : {}),
            ...(query.outcome ? { outcome: query.outcome } : {}),
            ...(query.status ? { status: query.status } : {}),
            ...(query.caller ? { caller: query.caller } : {}),
            ...(query.firstTime !== undefined ? { firstTime: query.firstTime } : {}),
            ...(query.campaign ? { campaign: query.campaign } : {}),
            ...(query.tag ? { tag: query.tag } : {}),
            ...(query.search ? { callerContains: query.search.replace(/[^0-9]/g, '') } : {}),
            ...(query.leadId ? { leadId: query.leadId } : {}),
            ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
          });
          const page = items.slice(0, limit);
          return {
            status: 200,
            body: { items: page.map(toApiCall), nextCursor: items.length > limit ? encodeCursor(page[page.length - 1]!.call) : null },
          };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/calls/{callId}',
          operationId: 'getCallCard',
          summary: 'One call with its visitor journey, match evidence, recordings and raw events',
          tags,
          auth: ANY_ROLE,
          params: callIdParamsSchema,
          responses: { 200: { description: 'The call card', schema: callCardSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiCard(await calls.card(principal, params.callId)) }),
      ),
      route(
        {
          method: 'put',
          path: '/v1/calls/{callId}/attribution',
          operationId: 'reassignCall',
          summary: 'Re-assign the call to a web session (or to its channel only); the evidence is kept',
          tags,
          auth: CALL_HANDLERS,
          params: callIdParamsSchema,
          body: reassignRequestSchema,
          responses: { 200: { description: 'The call', schema: callSchema } },
        },
        async ({ principal, params, body }) => ({
          status: 200,
          body: toApiCall(
            await calls.reassign(principal, params.callId, { sessionId: body.sessionId, ...(body.reason ? { reason: body.reason } : {}) }),
          ),
        }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/sites/{siteId}/blocked-callers',
          operationId: 'listBlockedCallers',
          summary: "The site's blocked callers",
          tags,
          auth: CALL_HANDLERS,
          params: siteIdOnlyParamsSchema,
          responses: { 200: { description: 'Blocked callers', schema: blockedCallerListSchema } },
        },
        async ({ principal, params }) => ({
          status: 200,
          body: { items: (await blockedCallers.listBlocked(principal, params.siteId)).map(toApiBlocked) },
        }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/sites/{siteId}/blocked-callers',
          operationId: 'blockCaller',
          summary: 'Block a caller on a site: their calls are refused politely and still logged',
          tags,
          auth: ADMINS,
          params: siteIdOnlyParamsSchema,
          body: blockCallerRequestSchema,
          responses: { 201: { description: 'Blocked', schema: blockedCallerSchema } },
        },
        async ({ principal, params, body }) => ({
          status: 201,
          body: toApiBlocked(await blockedCallers.block(principal, params.siteId, body.e164, body.reason ?? '')),
        }),
      ),
      route(
        {
          method: 'delete',
          path: '/v1/sites/{siteId}/blocked-callers/{e164}',
          operationId: 'unblockCaller',
          summary: 'Unblock a caller',
          tags,
          auth: ADMINS,
          params: blockedCallerParamsSchema,
          responses: { 204: { description: 'Unblocked' } },
        },
        async ({ principal, params }) => {
          await blockedCallers.unblock(principal, params.siteId, params.e164);
          return { status: 204 };
        },
      ),
    ];
  }
}
