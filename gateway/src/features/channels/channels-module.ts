import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { ChannelController } from './channel-controller.js';
import { ChannelService } from './channel-service.js';

export interface ChannelsModule extends FeatureModule {
  readonly service: ChannelService;
}

/** Marketing channels and their match rules. */
export function createChannelsModule(infra: Infrastructure): ChannelsModule {
  const { db, stores, events } = infra;
  const service = new ChannelService({ db: db.knex, channels: stores.channels, sites: stores.sites, audit: stores.audit, events });
  return { name: 'channels', service, controllers: [new ChannelController(service)] };
}
