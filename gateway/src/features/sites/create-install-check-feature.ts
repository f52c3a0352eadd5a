import type { Db } from '../../adapters/db/knex.js';
import type { OutboundGuard } from '../../adapters/http/outbound-guard.js';
import type { Controller } from '../../http/route.js';
import { InstallCheckController } from './install-check-controller.js';
import { InstallCheckService } from './install-check-service.js';

/** "Check installation": fetch a site's page server-side, through the outbound guard. */
export function createInstallCheckFeature(deps: { db: Db; outbound: OutboundGuard }): { controllers: Controller[] } {
  return { controllers: [new InstallCheckController(new InstallCheckService(deps))] };
}
