import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import { createSiteRequestSchema, siteIdParamsSchema, siteListSchema, siteSchema, updateSiteRequestSchema } from './site-schemas.js';
import type { SiteService } from './site-service.js';
import type { Site } from './site-types.js';

export const toApiSite = (s: Site) => ({
  id: s.id,
  name: s.name,
  publicKey: s.publicKey,
  domains: [...s.domains],
  canonicalNumbers: [...s.canonicalNumbers],
  defaultForwardTo: s.defaultForwardTo,
  timezone: s.timezone,
  settings: { ...s.settings },
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export class SiteController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(sites: SiteService) {
    const tags = ['sites'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/sites',
          operationId: 'listSites',
          summary: "The account's sites",
          tags,
          auth: ANY_ROLE,
          responses: { 200: { description: 'Sites', schema: siteListSchema } },
        },
        async ({ principal }) => ({ status: 200, body: { items: (await sites.list(principal)).map(toApiSite) } }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/sites',
          operationId: 'createSite',
          summary: 'Create a site',
          tags,
          auth: ADMINS,
          body: createSiteRequestSchema,
          responses: { 201: { description: 'Created', schema: siteSchema }, 409: { description: 'Public key taken' } },
        },
        async ({ principal, body }) => ({ status: 201, body: toApiSite(await sites.create(principal, body)) }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/sites/{siteId}',
          operationId: 'getSite',
          summary: 'One site',
          tags,
          auth: ANY_ROLE,
          params: siteIdParamsSchema,
          responses: { 200: { description: 'The site', schema: siteSchema } },
        },
        async ({ principal, params }) => ({ status: 200, body: toApiSite(await sites.get(principal, params.siteId)) }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/sites/{siteId}',
          operationId: 'updateSite',
          summary: 'Change a site (a value sets, an absent field is left alone, null clears)',
          tags,
          auth: ADMINS,
          params: siteIdParamsSchema,
          body: updateSiteRequestSchema,
          responses: { 200: { description: 'The site', schema: siteSchema } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: toApiSite(await sites.update(principal, params.siteId, body)) }),
      ),
      route(
        {
          method: 'delete',
          path: '/v1/sites/{siteId}',
          operationId: 'deleteSite',
          summary: 'Delete a site with its channels and pools (calls are kept)',
          tags,
          auth: ADMINS,
          params: siteIdParamsSchema,
          responses: { 204: { description: 'Deleted' } },
        },
        async ({ principal, params }) => {
          await sites.delete(principal, params.siteId);
          return { status: 204 };
        },
      ),
    ];
  }
}
