import type { Principal } from '../../http/principal.js';
import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { ApiKey } from './api-key-store.js';
import {
  apiKeyListSchema,
  createApiKeyRequestSchema,
  createApiKeyResponseSchema,
  idParamsSchema,
  loginRequestSchema,
  loginResponseSchema,
  principalSchema,
} from './auth-schemas.js';
import type { AuthService } from './auth-service.js';
import { SESSION_COOKIE, clearSessionCookie, readCookie, sessionCookie } from './request-authenticator.js';

/** The principal as the API shows it: the session's own id stays on the server. */
const publicPrincipal = (p: Principal) => ({ accountId: p.accountId, role: p.role, userId: p.userId, apiKeyId: p.apiKeyId, via: p.via });

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

const toApiKey = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  userId: k.userId,
  displayPrefix: k.displayPrefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: iso(k.lastUsedAt),
  expiresAt: iso(k.expiresAt),
  revokedAt: iso(k.revokedAt),
});

export class AuthController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(auth: AuthService, opts: { secureCookies: boolean }) {
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/auth/login',
          operationId: 'login',
          summary: 'Log in to the console; sets the session cookie',
          tags: ['auth'],
          auth: 'public',
          body: loginRequestSchema,
          responses: { 200: { description: 'Logged in', schema: loginResponseSchema } },
        },
        async ({ body, req }) => {
          const { token, expiresAt, principal } = await auth.login(body.email, body.password, {
            ip: req.ip ?? null,
            userAgent: req.headers['user-agent'] ?? null,
          });
          return {
            status: 200,
            headers: { 'Set-Cookie': sessionCookie(token, expiresAt, opts.secureCookies), 'Cache-Control': 'no-store' },
            body: { principal, expiresAt: expiresAt.toISOString() },
          };
        },
      ),
      route(
        {
          method: 'post',
          path: '/v1/auth/logout',
          operationId: 'logout',
          summary: 'End the console session',
          tags: ['auth'],
          auth: ANY_ROLE,
          responses: { 204: { description: 'Logged out' } },
        },
        async ({ req }) => {
          const token = readCookie(req.headers.cookie, SESSION_COOKIE);
          if (token) await auth.logout(token);
          return { status: 204, headers: { 'Set-Cookie': clearSessionCookie(opts.secureCookies) } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/me',
          operationId: 'getMe',
          summary: 'Who the caller is',
          tags: ['auth'],
          auth: ANY_ROLE,
          responses: { 200: { description: 'The caller', schema: principalSchema } },
        },
        ({ principal }) => ({ status: 200, body: publicPrincipal(principal) }),
      ),
      route(
        {
          method: 'get',
          path: '/v1/api-keys',
          operationId: 'listApiKeys',
          summary: "List the account's API keys (never the keys themselves)",
          tags: ['auth'],
          auth: ADMINS,
          responses: { 200: { description: 'Keys', schema: apiKeyListSchema } },
        },
        async ({ principal }) => ({ status: 200, body: { items: (await auth.listApiKeys(principal)).map(toApiKey) } }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/api-keys',
          operationId: 'createApiKey',
          summary: 'Create an API key; the token is returned once',
          tags: ['auth'],
          auth: ADMINS,
          body: createApiKeyRequestSchema,
          responses: { 201: { description: 'Created', schema: createApiKeyResponseSchema } },
        },
        async ({ principal, body }) => {
          const { key, token } = await auth.createApiKey(principal, {
            name: body.name,
            role: body.role,
            expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
          });
          return { status: 201, headers: { 'Cache-Control': 'no-store' }, body: { key: toApiKey(key), token } };
        },
      ),
      route(
        {
          method: 'delete',
          path: '/v1/api-keys/{id}',
          operationId: 'revokeApiKey',
          summary: 'Revoke an API key',
          tags: ['auth'],
          auth: ADMINS,
          params: idParamsSchema,
          responses: { 204: { description: 'Revoked' } },
        },
        async ({ principal, params }) => {
          await auth.revokeApiKey(principal, params.id);
          return { status: 204 };
        },
      ),
    ];
  }
}
