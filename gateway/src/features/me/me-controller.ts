import type { Authenticator } from '../../http/mount-routes.js';
import { ANY_ROLE } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import { changePasswordRequestSchema, profileSchema, sessionSchema, updateSettingsRequestSchema } from './me-schemas.js';
import type { MeService } from './me-service.js';

export class MeController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(me: MeService, authenticator: Authenticator) {
    const tags = ['auth'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/me/session',
          operationId: 'getMySession',
          summary: 'Whether the request is signed in, and as whom (200 either way)',
          description: 'The console asks this first: a signed-out visitor is not an error, so it gets no 401.',
          tags,
          auth: 'public',
          responses: { 200: { description: 'The session', schema: sessionSchema } },
        },
        async ({ req }) => {
          const principal = await authenticator.authenticate(req);
          return { status: 200, body: { signedIn: !!principal, profile: principal ? await me.profile(principal) : null } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/me/profile',
          operationId: 'getMyProfile',
          summary: 'The signed-in person: email, name, role and console language',
          tags,
          auth: ANY_ROLE,
          responses: { 200: { description: 'The profile', schema: profileSchema } },
        },
        async ({ principal }) => ({ status: 200, body: await me.profile(principal) }),
      ),
      route(
        {
          method: 'put',
          path: '/v1/me/settings',
          operationId: 'updateMySettings',
          summary: "Set the console's language for the signed-in person (null = the browser's)",
          tags,
          auth: ANY_ROLE,
          body: updateSettingsRequestSchema,
          responses: { 200: { description: 'The profile', schema: profileSchema } },
        },
        async ({ principal, body }) => ({ status: 200, body: await me.setLocale(principal, body.locale) }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/me/password',
          operationId: 'changeMyPassword',
          summary: 'Change your own password (the current one is required)',
          tags,
          auth: ANY_ROLE,
          body: changePasswordRequestSchema,
          responses: { 204: { description: 'Changed' } },
        },
        async ({ principal, body, req }) => {
          await me.changePassword(principal, body.currentPassword, body.newPassword, req.ip ?? null);
          return { status: 204 };
        },
      ),
    ];
  }
}
