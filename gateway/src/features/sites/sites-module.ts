import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { createInstallCheckFeature } from './create-install-check-feature.js';
import { SiteController } from './site-controller.js';
import { SiteService } from './site-service.js';

export interface SitesModule extends FeatureModule {
  readonly service: SiteService;
}

/** Sites and the check that their pages load the widget. */
export function createSitesModule(infra: Infrastructure): SitesModule {
  const { db, stores, events, outbound } = infra;
  const service = new SiteService({ db: db.knex, sites: stores.sites, audit: stores.audit, events });
  return {
    name: 'sites',
    service,
    controllers: [new SiteController(service), ...createInstallCheckFeature({ db: db.knex, outbound }).controllers],
  };
}
