import type { Db } from '../../adapters/db/knex.js';
import type { Authenticator } from '../../http/mount-routes.js';
import type { Controller } from '../../http/route.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { MeController } from './me-controller.js';
import { MeService } from './me-service.js';

/** The signed-in person's own profile, language and password. */
export function createMeFeature(deps: { db: Db; audit: AuditLog; authenticator: Authenticator }): { service: MeService; controllers: Controller[] } {
  const service = new MeService(deps);
  return { service, controllers: [new MeController(service, deps.authenticator)] };
}
