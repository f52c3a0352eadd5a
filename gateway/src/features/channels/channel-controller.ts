import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import {
  channelIdParamsSchema,
  channelListSchema,
  channelSchema,
  createChannelRequestSchema,
  siteFilterQuerySchema,
  updateChannelRequestSchema,
} from './channel-schemas.js';
import type { ChannelService } from './channel-service.js';
import type { Channel } from './channel-store-type.js';

export const toApiChannel = (c: Channel) => ({
  id: c.id,
  siteId: c.siteId,
  name: c.name,
  kind: c.kind,
  rules: c.rules.map((r) => ({ ...r })),
  priority: c.priority,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export class ChannelController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(channels: ChannelService) {
    const tags = ['channels'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/channels',
          operationId: 'listChannels',
          summary: "The account's channels, highest priority first",
          tags,
          auth: ANY_ROLE,
          query: siteFilterQuerySchema,
          responses: { 200: { description: 'Channels', schema: channelListSchema } },
        },
        async ({ principal, query }) => ({ status: 200, body: { items: (await channels.list(principal, query)).map(toApiChannel) } }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/channels',
          operationId: 'createChannel',
          summary: 'Create a channel (a way visits and calls are classified)',
          tags,
          auth: ADMINS,
          body: createChannelRequestSchema,
          responses: { 201: { description: 'Created', schema: channelSchema }, 409: { description: 'Name taken on this site' } },
        },
        async ({ principal, body }) => ({ status: 201, body: toApiChannel(await channels.create(principal, body)) }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/channels/{channelId}',
          operationId: 'getChannel',
          summary: 'One channel',
          tags,
          auth: ANY_ROLE,
          params: channelIdParamsSchema,
          responses: { 200: { description: 'The channel', schema: channelSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiChannel(await channels.get(principal, params.channelId)) }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/channels/{channelId}',
          operationId: 'updateChannel',
          summary: 'Change a channel',
          tags,
          auth: ADMINS,
          params: channelIdParamsSchema,
          body: updateChannelRequestSchema,
          responses: { 200: { description: 'The channel', schema: channelSchema } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: toApiChannel(await channels.update(principal, params.channelId, body)) }),
      ),
      route(
        {
          method: 'delete',
          path: '/v1/channels/{channelId}',
          operationId: 'deleteChannel',
          summary: 'Delete a channel (its pools serve every visit afterwards)',
          tags,
          auth: ADMINS,
          params: channelIdParamsSchema,
          responses: { 204: { description: 'Deleted' } },
        },
        async ({ principal, params }) => {
          await channels.delete(principal, params.channelId);
          return { status: 204 };
        },
      ),
    ];
  }
}
