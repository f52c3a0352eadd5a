import type { FeatureModule } from '../../http/feature-module.js';
import type { Authenticator } from '../../http/mount-routes.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createMeFeature } from './create-me-feature.js';

/** The signed-in user's own profile, password and API keys. */
export function createMeModule(infra: Infrastructure, deps: { authenticator: Authenticator }): FeatureModule {
  return {
    name: 'me',
    controllers: createMeFeature({ db: infra.db.knex, audit: infra.stores.audit, authenticator: deps.authenticator }).controllers,
  };
}
