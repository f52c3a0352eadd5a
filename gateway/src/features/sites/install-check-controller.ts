import { ADMINS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { InstallCheckService } from './install-check-service.js';

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const requestSchema = {
  $id: 'InstallCheckRequest',
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: { url: { type: 'string', maxLength: 2000, pattern: '^https?://[^\\s]+$', description: 'A page of the site' } },
} as const;
const resultSchema = {
  $id: 'InstallCheck',
  type: 'object',
  additionalProperties: false,
  required: ['url', 'reachable', 'httpStatus', 'error', 'tagFound', 'foundKey', 'keyMatches', 'widgetAnswers'],
  properties: {
    url: { type: 'string', description: 'The page finally loaded (after redirects)' },
    reachable: { type: 'boolean' },
    httpStatus: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    tagFound: { type: 'boolean', description: 'A <script src=".../dni.js"> tag is on the page' },
    foundKey: { type: ['string', 'null'], description: 'Its data-site value' },
    keyMatches: { type: 'boolean' },
    widgetAnswers: { type: 'boolean', description: "The page's origin is among the site's domains, so the widget gets numbers" },
  },
} as const;

export class InstallCheckController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(service: InstallCheckService) {
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/sites/{siteId}/install-check',
          operationId: 'checkSiteInstallation',
          summary: 'Load a page of the site from the server and say whether the widget tag is there and would answer',
          description: 'Private, loopback and link-local addresses are refused (400) unless OUTBOUND_ALLOWED_NETWORKS allows them.',
          tags: ['sites'],
          auth: ADMINS,
          params: paramsSchema,
          body: requestSchema,
          responses: { 200: { description: 'What was found', schema: resultSchema } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: await service.check(principal, params.siteId, body.url) }),
      ),
    ];
  }
}
