import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createCallNotesFeature } from './create-call-notes-feature.js';

/** Notes and tags managers put on calls. */
export function createCallNotesModule(infra: Infrastructure): FeatureModule {
  return { name: 'call-notes', controllers: createCallNotesFeature({ db: infra.db.knex, audit: infra.stores.audit }).controllers };
}
