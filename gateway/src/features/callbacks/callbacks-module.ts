import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { CallEventPipeline } from '../call-webhooks/call-event-pipeline.js';
import type { Inquiries } from '../inquiries/create-inquiries.js';
import type { TwilioCredentialsLookup } from '../recordings/recording-fetcher.js';
import type { CallbackService } from './callback-service.js';
import { createCallbacks } from './create-callbacks.js';

export interface CallbacksModule extends FeatureModule {
  readonly service: CallbackService;
}

/** Callback requests: placing due ones through the provider. */
export function createCallbacksModule(
  infra: Infrastructure,
  deps: { inquiries: Inquiries; twilioCredentials: TwilioCredentialsLookup; callEvents: CallEventPipeline },
): CallbacksModule {
  const { config, db, stores, clock, logger } = infra;
  const service = createCallbacks({
    config,
    db: db.knex,
    stores,
    inquiries: deps.inquiries,
    // The site's account's own Twilio login places its callbacks.
    twilioCredentials: deps.twilioCredentials,
    // Through the writer Twilio's and the PBX's events take; waiting for each write keeps a callback's answer
    // ahead of its hangup.
    callEvents: { apply: async (event) => void (await deps.callEvents.applyWithin(event, 10_000)) },
    clock,
    logger: logger.child({ component: 'callbacks' }),
  });
  return {
    name: 'callbacks',
    service,
    // Queued requests carry their due time; a minute late at most after the business opens.
    jobs: [{ name: 'callbacks.place-due', intervalMs: 30_000, run: async () => void (await service.placeDue()) }],
    stop: () => service.close(),
  };
}
