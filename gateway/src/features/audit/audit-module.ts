import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createAuditFeature } from './create-audit-feature.js';

/** The account's audit log, for owners. */
export function createAuditModule(infra: Infrastructure): FeatureModule {
  return { name: 'audit', controllers: createAuditFeature({ db: infra.db.knex }).controllers };
}
