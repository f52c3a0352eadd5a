import type { Db } from '../../adapters/db/knex.js';
import type { Controller } from '../../http/route.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { CallNotesController } from './call-notes-controller.js';
import { CallNotesService } from './call-notes-service.js';
import { PgCallNotesStore } from './call-notes-store.js';

/** Tags, notes and spam marks on calls. */
export function createCallNotesFeature(deps: { db: Db; audit: AuditLog }): { service: CallNotesService; controllers: Controller[] } {
  const service = new CallNotesService({ ...deps, store: new PgCallNotesStore() });
  return { service, controllers: [new CallNotesController(service)] };
}
