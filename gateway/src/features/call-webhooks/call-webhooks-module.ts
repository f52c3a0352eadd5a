import { AsteriskCallSource } from '../../adapters/telephony/asterisk/asterisk-call-source.js';
import { LocalLeaderLock, RedisLeaderLock } from '../../adapters/telephony/asterisk/leader-lock.js';
import type { TwilioNumbersApi } from '../../adapters/telephony/twilio/twilio-rest.js';
import { webhookUrls } from '../../adapters/telephony/twilio/twiml.js';
import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { CallEventSink } from '../calls/call-events.js';
import type { CallService } from '../calls/call-service.js';
import type { PgCallStore } from '../calls/call-store.js';
import { StaleCallReconciler } from '../calls/stale-call-reconciler.js';
import type { PgProviderAccountStore } from '../provider-accounts/provider-account-store.js';
import type { TwilioCredentialsLookup } from '../recordings/recording-fetcher.js';
import { AnswerGate } from './answer-gate.js';
import { createCallWebhookMetrics } from './call-webhook-metrics.js';
import { adoptJournals, journalFileOf } from './call-event-journal.js';
import { pbxNumberDirectory } from './pbx-number-directory.js';
import { createCallEventPipeline } from './call-event-pipeline.js';
import type { CallEventPipeline } from './call-event-pipeline.js';
import { RoutingService } from './routing-service.js';
import { loadRoutingSnapshot } from './routing-table.js';
import { TwilioWebhookController } from './twilio-webhook-controller.js';

export interface CallWebhooksModule extends FeatureModule {
  readonly routing: RoutingService;
  /** Every provider's call events reach the call service through it (journaled, batched, retried). */
  readonly callEvents: CallEventPipeline;
  /** Follows the PBX over AMI (one replica at a time); null without AMI_HOST. */
  readonly asterisk: AsteriskCallSource | null;
}

/**
 * How calls come in: the routing table, Twilio's voice and status webhooks (fast path), the Asterisk AMI source,
 * the call-event writer both feed, and the reconciliation of calls whose final event never came.
 */
export function createCallWebhooksModule(
  infra: Infrastructure,
  deps: {
    calls: CallService;
    callStore: PgCallStore;
    providerAccounts: PgProviderAccountStore;
    twilioCredentials: TwilioCredentialsLookup;
    twilioApi: (creds: { accountSid: string; authToken: string }) => TwilioNumbersApi;
    /** Where Asterisk call events go (default: the call service, through the batched call writer). */
    callEventSink?: CallEventSink;
    /** AMI connection timings (Ping watchdog, reconnect backoff); tests shorten them. */
    amiClient?: ConstructorParameters<typeof AsteriskCallSource>[0]['client'];
    /** Call events held in memory before they wait on disk only (tests make it small). */
    callEventQueueMax?: number;
  },
): CallWebhooksModule {
  const { config, db, redis, fanout, events, clock, logger, registry } = infra;
  const routing = new RoutingService({
    logger: logger.child({ component: 'routing' }),
    fanout,
    load: () =>
      loadRoutingSnapshot(db.knex, {
        defaultTwilio: config.twilio,
        now: clock.now(),
        twilioLogins: async () =>
          (await deps.providerAccounts.listAll(db.knex, 'twilio')).map((p) => ({
            accountId: p.accountId,
            accountSid: p.externalId,
            authToken: p.secret,
          })),
      }),
  });
  events.on('site.changed', () => routing.changed());
  events.on('routing.changed', () => routing.changed());
  events.on('pool.changed', () => routing.changed());

  if (config.workers.index === 0) {
    const adopted = adoptJournals(config, config.workers.count);
    if (adopted.length) logger.info({ adopted }, 'call-event journals of workers this cluster no longer has are replayed here');
  }
  const answerGate = new AnswerGate();
  // Call writes: journaled before the answer, batched into the inbox table, then applied to calls (Twilio and AMI).
  const callEvents = createCallEventPipeline({
    db: db.knex,
    embedded: db.kind === 'pglite',
    sink: deps.calls,
    gate: answerGate,
    registry,
    // One file per host, port and cluster worker: processes sharing a volume each replay only their own.
    journalFile: journalFileOf(config, config.workers.index),
    logger: logger.child({ component: 'call-events' }),
    ...(deps.callEventQueueMax ? { maxQueued: deps.callEventQueueMax } : {}),
  });

  // Exactly one replica holds the AMI connection: a Redis lock with fencing in server mode; embedded mode is a
  // single process, so its lock is trivially held. Events go through the same retrying writer as Twilio's.
  const asterisk = config.asterisk
    ? new AsteriskCallSource({
        config: config.asterisk,
        sink: deps.callEventSink ?? { apply: async (event) => callEvents.submit(event) },
        lock: redis ? new RedisLeaderLock(redis, 'asterisk-ami', 10_000) : new LocalLeaderLock(),
        clock,
        logger: logger.child({ component: 'asterisk' }),
        registry,
        numbers: () => pbxNumberDirectory(routing.current),
        ...(deps.amiClient ? { client: deps.amiClient } : {}),
      })
    : null;

  const twilioWebhooks = new TwilioWebhookController({
    routing,
    sayVoices: config.sayVoices,
    writer: callEvents,
    gate: answerGate,
    publicBaseUrl: config.http.publicBaseUrl,
    urls: webhookUrls(config.http.publicBaseUrl),
    clock,
    logger: logger.child({ component: 'twilio-webhooks' }),
    metrics: createCallWebhookMetrics(
      registry,
      () => callEvents.pending,
      () => (clock.nowMs() - routing.current.loadedAt.getTime()) / 1000,
    ),
  });

  const staleCalls = new StaleCallReconciler({
    db: db.knex,
    calls: deps.callStore,
    sink: deps.calls,
    twilio: {
      forAccount: async (accountId) => {
        const creds = await deps.twilioCredentials.forAccount(accountId);
        return creds ? { accountSid: creds.accountSid, ...deps.twilioApi(creds) } : null;
      },
    },
    asterisk: asterisk ? () => asterisk.liveCallIds() : null,
    clock,
    logger: logger.child({ component: 'stale-calls' }),
  });

  return {
    name: 'call-webhooks',
    routing,
    callEvents,
    asterisk,
    fastRoutes: twilioWebhooks.fastRoutes,
    jobs: [
      // Changes are pushed as they happen; this catches any writer that did not announce its change.
      { name: 'routing-table.refresh', intervalMs: 60_000, run: async () => void (await routing.refresh()) },
      // Calls whose final callbacks were lost (a restart, an AMI outage) are closed from the provider's own state.
      { name: 'calls.reconcile-stale', intervalMs: 300_000, runAtStart: true, run: async () => void (await staleCalls.runOnce()) },
    ],
    start: async () => {
      await routing.start();
      // Call writes a previous run could not land (the database was down when it stopped or crashed).
      callEvents.start();
    },
    started: async () => {
      asterisk?.start();
    },
    drain: async () => {
      // No new call events now: the AMI source feeds the writer, so it stops first; then the writer lands or
      // journals what it accepted, before anything that could hang on a sick database.
      await asterisk?.stop();
      await callEvents.stop();
    },
  };
}
