import type { FeatureModule } from '../../http/feature-module.js';
import type { Authenticator } from '../../http/mount-routes.js';
import type { Infrastructure } from '../../infrastructure.js';
import { LiveCallFeed } from './live-call-feed.js';
import { liveUpgradeSpec } from './live-call-schemas.js';

export interface LiveCallsModule extends FeatureModule {
  readonly feed: LiveCallFeed;
}

/** The console's live call feed over WebSocket, fanned out across replicas. */
export function createLiveCallsModule(infra: Infrastructure, deps: { authenticator: Authenticator }): LiveCallsModule {
  const { config, events, fanout, logger } = infra;
  const feed = new LiveCallFeed({
    authenticator: deps.authenticator,
    bus: events,
    fanout,
    publicBaseUrl: config.http.publicBaseUrl,
    logger: logger.child({ component: 'live-calls' }),
    validateMessages: config.env !== 'production',
  });
  return {
    name: 'live-calls',
    feed,
    upgrades: [liveUpgradeSpec],
    start: ({ server }) => feed.attach(server),
    // Open sockets would hold the HTTP server's close until its timeout.
    closing: () => feed.close(),
  };
}
