import type { Db } from '../../adapters/db/knex.js';
import type { Controller } from '../../http/route.js';
import { AuditController } from './audit-controller.js';
import { AuditReadModel } from './audit-read-model.js';

/** Reading the audit log over HTTP (writing stays with each feature through AuditLog). */
export function createAuditFeature(deps: { db: Db }): { controllers: Controller[] } {
  return { controllers: [new AuditController({ db: deps.db, readModel: new AuditReadModel() })] };
}
