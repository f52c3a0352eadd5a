import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { AuthController } from './auth-controller.js';
import { AuthService } from './auth-service.js';
import { RequestAuthenticator } from './request-authenticator.js';

export interface AuthModule extends FeatureModule {
  readonly service: AuthService;
  /** API keys and console sessions, for the app, the live feed and `/v1/me`. */
  readonly authenticator: RequestAuthenticator;
}

/** Logins, console sessions and API keys. */
export function createAuthModule(infra: Infrastructure): AuthModule {
  const { config, db, stores, clock, logger } = infra;
  const service = new AuthService({ db: db.knex, ...stores, clock, logger: logger.child({ component: 'auth' }) });
  return {
    name: 'auth',
    service,
    authenticator: new RequestAuthenticator(service),
    controllers: [new AuthController(service, { secureCookies: config.http.publicBaseUrl.protocol === 'https:' })],
    jobs: [
      {
        name: 'console-sessions.cleanup',
        intervalMs: 3_600_000,
        run: async () => {
          const n = await stores.sessions.deleteExpired(db.knex, clock.now());
          if (n) logger.info({ deleted: n }, 'expired console sessions deleted');
        },
      },
    ],
  };
}
