import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { openDatabase } from './adapters/db/knex.js';
import type { Database } from './adapters/db/knex.js';
import { migrateLatest } from './adapters/db/migrate.js';
import { createOutboundGuard } from './adapters/http/outbound-guard.js';
import { RedisFanout } from './adapters/redis/fanout.js';
import { connectRedis } from './adapters/redis/redis-client.js';
import type { RedisHandle } from './adapters/redis/redis-client.js';
import type { RecordingStorage } from './adapters/storage/recording-storage.js';
import type { AsteriskCallSource } from './adapters/telephony/asterisk/asterisk-call-source.js';
import type { AsteriskRecordingFetcher } from './adapters/telephony/asterisk/recording-fetcher.js';
import type { Config } from './config.js';
import type { LiveLeaseLookup } from './features/attribution/attribution-types.js';
import { createAuditModule } from './features/audit/audit-module.js';
import type { AuthService } from './features/auth/auth-service.js';
import { createAuthModule } from './features/auth/auth-module.js';
import { bootstrapFirstOwner } from './features/auth/bootstrap.js';
import type { BootstrapResult } from './features/auth/bootstrap.js';
import { createCallNotesModule } from './features/call-notes/call-notes-module.js';
import { createCallWebhooksModule } from './features/call-webhooks/call-webhooks-module.js';
import type { CallEventPipeline } from './features/call-webhooks/call-event-pipeline.js';
import type { RoutingService } from './features/call-webhooks/routing-service.js';
import type { CallbackService } from './features/callbacks/callback-service.js';
import { createCallbacksModule } from './features/callbacks/callbacks-module.js';
import type { CallChangeHook } from './features/calls/call-change-hook.js';
import type { CallEventSink } from './features/calls/call-events.js';
import type { CallService } from './features/calls/call-service.js';
import { createCallsModule } from './features/calls/calls-module.js';
import type { ChannelService } from './features/channels/channel-service.js';
import { createChannelsModule } from './features/channels/channels-module.js';
import type { CrmSinkService } from './features/crm-sinks/crm-sink-service.js';
import { createDniModule } from './features/dni/dni-module.js';
import type { DniSessionService } from './features/dni/dni-session-service.js';
import type { VisitRecorder } from './features/dni/visit-recorder.js';
import type { EmailTracking } from './features/email-tracking/create-email-tracking.js';
import { createEmailTrackingModule } from './features/email-tracking/email-tracking-module.js';
import { HealthController } from './features/health/health-controller.js';
import type { ReadinessCheck } from './features/health/health-controller.js';
import type { Inquiries } from './features/inquiries/create-inquiries.js';
import { createInquiriesModule } from './features/inquiries/inquiries-module.js';
import { createLeadsModule } from './features/leads/leads-module.js';
import type { LiveCallFeed } from './features/live-calls/live-call-feed.js';
import { createLiveCallsModule } from './features/live-calls/live-calls-module.js';
import { createMeModule } from './features/me/me-module.js';
import type { NumberLeaseService } from './features/number-pools/number-lease-service.js';
import { createNumberPoolsModule } from './features/number-pools/number-pools-module.js';
import type { PoolHealthService } from './features/number-pools/pool-health-service.js';
import type { PoolService } from './features/number-pools/pool-service.js';
import { createOutboxModule } from './features/outbox/outbox-module.js';
import type { OutboxService } from './features/outbox/outbox-service.js';
import { OutboxWake } from './features/outbox/outbox-wake.js';
import type { OutboxWorker } from './features/outbox/outbox-worker.js';
import { createPoolAutoscaleModule } from './features/pool-autoscale/pool-autoscale-module.js';
import { createPoolAccuracyModule } from './features/pool-accuracy/pool-accuracy-module.js';
import { createProviderAccountsModule } from './features/provider-accounts/provider-accounts-module.js';
import type { TwilioCredentialsLookup } from './features/recordings/recording-fetcher.js';
import type { RecordingIntake } from './features/recordings/recording-intake.js';
import type { RecordingService } from './features/recordings/recording-service.js';
import { createRecordingsModule } from './features/recordings/recordings-module.js';
import { createReportsModule } from './features/reports/reports-module.js';
import type { SiteService } from './features/sites/site-service.js';
import { createSitesModule } from './features/sites/sites-module.js';
import type { TrackingNumberService } from './features/tracking-numbers/tracking-number-service.js';
import { createTrackingNumbersModule } from './features/tracking-numbers/tracking-numbers-module.js';
import { createTwilioNumbersModule } from './features/twilio-numbers/twilio-numbers-module.js';
import type { UserService } from './features/users/user-service.js';
import { createUsersModule } from './features/users/users-module.js';
import { consoleStatic, demoPage, rootRedirect } from './http/console-static.js';
import { createApp } from './http/create-app.js';
import { FastPath } from './http/fast-path.js';
import type { FeatureModule } from './http/feature-module.js';
import type { Authenticator } from './http/mount-routes.js';
import { buildOpenApi } from './http/openapi.js';
import { createHttpServer } from './http/server.js';
import type { HttpServer } from './http/server.js';
import { createSharedStores } from './infrastructure.js';
import type { Infrastructure } from './infrastructure.js';
import { createInfrastructureJobs } from './jobs/infrastructure-jobs.js';
import { Scheduler } from './jobs/scheduler.js';
import { createLogger } from './logging/logger.js';
import type { Logger } from './logging/logger.js';
import { createHttpMetrics, createMetricsRegistry } from './metrics/metrics.js';
import { systemClock } from './shared/clock.js';
import type { Clock } from './shared/clock.js';
import { EventBus } from './shared/event-bus.js';

export const VERSION = '0.1.0';

export interface ContainerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** An open, migrated database (tests hand in a per-file clone). */
  readonly database?: Database;
  /** Run migrations at start (default true unless a database is handed in). */
  readonly migrate?: boolean;
  /** Collect Node's default process metrics (off in tests: they register global timers). */
  readonly defaultMetrics?: boolean;
  /** Where recordings are kept (tests inject failing or remote storages). */
  readonly recordingStorage?: RecordingStorage;
  /** Twilio credentials per account, for recording downloads. */
  readonly twilioCredentials?: TwilioCredentialsLookup;
  /** Who holds a tracking number right now (the lease engine); none until it is wired. */
  readonly liveLeases?: LiveLeaseLookup;
  /** Code that reacts to call changes inside their transaction (the leads outbox). */
  readonly callHooks?: readonly CallChangeHook[];
  /** Where Asterisk call events go (default: the call service, through the batched call writer). */
  readonly callEventSink?: CallEventSink;
  /** AMI connection timings (Ping watchdog, reconnect backoff); tests shorten them. */
  readonly amiClient?: ConstructorParameters<typeof AsteriskCallSource>[0]['client'];
  /** Call events held in memory before they wait on disk only (tests make it small). */
  readonly callEventQueueMax?: number;
}

export interface Container {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly redis: RedisHandle | null;
  readonly registry: Registry;
  readonly events: EventBus;
  readonly scheduler: Scheduler;
  readonly http: HttpServer;
  readonly services: {
    readonly auth: AuthService;
    readonly sites: SiteService;
    readonly users: UserService;
    readonly recordings: RecordingService;
    readonly recordingIntake: RecordingIntake;
    readonly crmSinks: CrmSinkService;
    readonly outbox: OutboxService;
    readonly channels: ChannelService;
    readonly pools: PoolService;
    readonly numbers: TrackingNumberService;
    readonly leases: NumberLeaseService;
    readonly poolHealth: PoolHealthService;
    readonly dni: DniSessionService;
    /** The widget's visit rows; `flush()` writes what is queued (server mode writes behind the answers). */
    readonly visitRecorder: VisitRecorder;
    readonly calls: CallService;
    readonly routing: RoutingService;
    readonly callEvents: CallEventPipeline;
    readonly liveFeed: LiveCallFeed;
    /** Forms, callback requests and emails: intake and the service that records them. */
    readonly inquiries: Inquiries;
  };
  /** Follows the PBX over AMI (one replica at a time); null without AMI_HOST. */
  readonly asterisk: AsteriskCallSource | null;
  /** Opens MixMonitor files from the PBX spool (AMI_RECORDINGS_DIR / AMI_RECORDINGS_URL) for the recordings store. */
  readonly asteriskRecordings: AsteriskRecordingFetcher | null;
  /** Callback requests (placing due ones is a scheduled job). */
  readonly callbacks: CallbackService;
  /** Email tracking; `start()` of the container starts its SMTP listener (MAIL_SMTP_PORT). */
  readonly emailTracking: EmailTracking;
  /** Where the SMTP listener took its port (null without one), once started. */
  readonly smtpAddress: () => AddressInfo | null;
  /** The delivery worker for outbox rows (leads to CRMs). */
  readonly outboxWorker: OutboxWorker;
  /** Called by the call service inside the transaction that changes a call: queues the leads. */
  readonly callChangeHook: CallChangeHook;
  /** Creates the first owner on an empty database; null when the database already had an account. */
  bootstrap(): Promise<BootstrapResult | null>;
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
}

/**
 * The only place that constructs the shared infrastructure and calls the feature modules, which construct their
 * own stores and services (docs/architecture.md lists what each module owns).
 */
export async function createContainer(config: Config, opts: ContainerOptions = {}): Promise<Container> {
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const db = opts.database ?? (await openDatabase(config.db, { logger: logger.child({ component: 'db' }) }));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    if (opts.migrate ?? !opts.database) {
      const applied = await migrateLatest(db.knex);
      if (applied.length) logger.info({ applied }, 'database migrated');
    }
    const redis = config.redis ? await connectRedis(config.redis, logger.child({ component: 'redis' })) : null;
    if (redis) cleanup.push(() => redis.close());
    // The outbox is shared: each feature that delivers to the outside world registers its handler with its worker.
    const outboxWake = new OutboxWake();
    const infra: Infrastructure = {
      config,
      logger,
      clock: opts.clock ?? systemClock,
      db,
      redis,
      fanout: redis ? new RedisFanout(redis, logger.child({ component: 'fanout' })) : null,
      registry: createMetricsRegistry({ defaultMetrics: opts.defaultMetrics ?? true }),
      events: new EventBus(logger.child({ component: 'events' })),
      outbound: createOutboundGuard({ allowedNetworks: config.outboundAllowedNetworks }),
      stores: createSharedStores(),
      wakeOutbox: outboxWake.wake,
      cleanup,
    };

    // Feature modules, each after the modules it takes from.
    const auth = createAuthModule(infra);
    const users = createUsersModule(infra);
    const sites = createSitesModule(infra);
    const providerAccounts = createProviderAccountsModule(infra, {
      ...(opts.twilioCredentials ? { twilioCredentials: opts.twilioCredentials } : {}),
    });
    // Lead texts link the call's recording; the recordings module is built below (it queues leads itself).
    const leads = createLeadsModule(infra, {
      recordingLink: ({ accountId, recordingId }) => recordings.service.signedUrl(accountId, recordingId),
    });
    const inquiries = createInquiriesModule(infra);
    const emailTracking = createEmailTrackingModule(infra, { inquiries: inquiries.inquiries });
    const outbox = createOutboxModule(infra, {
      handlers: [inquiries.inquiries.leadHandler(leads.handler), emailTracking.emailTracking.forwarder],
      wake: outboxWake,
    });
    const recordings = await createRecordingsModule(infra, {
      ...(opts.recordingStorage ? { storage: opts.recordingStorage } : {}),
      twilioCredentials: providerAccounts.twilioCredentials,
      callChangeHook: leads.callChangeHook,
    });
    const channels = createChannelsModule(infra);
    const numbers = createTrackingNumbersModule(infra);
    const numberPools = createNumberPoolsModule(infra);
    const poolAccuracy = createPoolAccuracyModule(infra, { pools: numberPools.pools });
    const dni = createDniModule(infra, { leases: numberPools.leases });
    const calls = createCallsModule(infra, {
      liveLeases: opts.liveLeases ?? numberPools.leases,
      hooks: [leads.callChangeHook, ...(opts.callHooks ?? [])],
    });
    const callNotes = createCallNotesModule(infra);
    const callWebhooks = createCallWebhooksModule(infra, {
      calls: calls.service,
      callStore: calls.store,
      providerAccounts: providerAccounts.store,
      twilioCredentials: providerAccounts.twilioCredentials,
      twilioApi: providerAccounts.twilioApi,
      ...(opts.callEventSink ? { callEventSink: opts.callEventSink } : {}),
      ...(opts.amiClient ? { amiClient: opts.amiClient } : {}),
      ...(opts.callEventQueueMax ? { callEventQueueMax: opts.callEventQueueMax } : {}),
    });
    const callbacks = createCallbacksModule(infra, {
      inquiries: inquiries.inquiries,
      twilioCredentials: providerAccounts.twilioCredentials,
      callEvents: callWebhooks.callEvents,
    });
    const twilioNumbers = createTwilioNumbersModule(infra, { providerAccounts: providerAccounts.store, twilioApi: providerAccounts.twilioApi });
    const poolAutoscale = createPoolAutoscaleModule(infra, {
      pools: numberPools.pools,
      health: numberPools.health,
      numbers: numbers.service,
      twilio: twilioNumbers.service,
    });
    const liveCalls = createLiveCallsModule(infra, { authenticator: auth.authenticator });
    const me = createMeModule(infra, { authenticator: auth.authenticator });
    const audit = createAuditModule(infra);
    const reports = createReportsModule(infra);

    const modules: readonly FeatureModule[] = [
      auth,
      users,
      sites,
      providerAccounts,
      leads,
      inquiries,
      emailTracking,
      outbox,
      recordings,
      channels,
      numbers,
      numberPools,
      poolAccuracy,
      dni,
      calls,
      callNotes,
      callWebhooks,
      callbacks,
      twilioNumbers,
      poolAutoscale,
      liveCalls,
      me,
      audit,
      reports,
    ];
    // Ready only once every module has started: a supervisor (or a test) that sees 200 may then signal the process.
    let started = false;
    const http = createGatewayHttp(infra, modules, auth.authenticator, () => started);
    const scheduler = new Scheduler(
      [...modules.flatMap((m) => m.jobs ?? []), ...createInfrastructureJobs(infra)],
      logger.child({ component: 'jobs' }),
    );

    let stopping: Promise<void> | null = null;
    return {
      config,
      logger,
      db,
      redis,
      registry: infra.registry,
      events: infra.events,
      scheduler,
      http,
      services: {
        auth: auth.service,
        sites: sites.service,
        users: users.service,
        recordings: recordings.service,
        recordingIntake: recordings.intake,
        crmSinks: leads.crmSinks,
        outbox: outbox.service,
        channels: channels.service,
        pools: numberPools.pools,
        numbers: numbers.service,
        leases: numberPools.leases,
        poolHealth: numberPools.health,
        dni: dni.service,
        visitRecorder: dni.visitRecorder,
        calls: calls.service,
        routing: callWebhooks.routing,
        callEvents: callWebhooks.callEvents,
        liveFeed: liveCalls.feed,
        inquiries: inquiries.inquiries,
      },
      outboxWorker: outbox.worker,
      emailTracking: emailTracking.emailTracking,
      callbacks: callbacks.service,
      smtpAddress: emailTracking.smtpAddress,
      callChangeHook: leads.callChangeHook,
      asterisk: callWebhooks.asterisk,
      asteriskRecordings: recordings.asteriskRecordings,
      bootstrap: () => bootstrapFirstOwner(db.knex, infra.stores, config.bootstrap),
      async start() {
        for (const m of modules) await m.start?.({ server: http.server });
        const address = await http.listen(config.http.port, config.http.host);
        scheduler.start();
        for (const m of modules) await m.started?.();
        started = true;
        return address;
      },
      stop() {
        stopping ??= (async () => {
          const reversed = [...modules].reverse();
          for (const m of reversed) await m.closing?.();
          await http.close(config.http.shutdownTimeoutMs);
          for (const m of reversed) await m.drain?.();
          await scheduler.stop();
          for (const m of reversed) await m.stop?.();
          for (const fn of cleanup.reverse()) await fn().catch((err: unknown) => logger.warn({ err }, 'cleanup failed'));
          if (!opts.database) await db.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    if (!opts.database) await db.close().catch(() => undefined);
    throw err;
  }
}

/** The app over every module's routes, the health endpoints (readiness of the infrastructure and the modules), the console. */
function createGatewayHttp(
  infra: Infrastructure,
  modules: readonly FeatureModule[],
  authenticator: Authenticator,
  isStarted: () => boolean,
): HttpServer {
  const { config, db, redis, registry, logger } = infra;
  const controllers = modules.flatMap((m) => m.controllers ?? []);
  const fastRoutes = modules.flatMap((m) => m.fastRoutes ?? []);
  // Fast routes and upgrades are served outside express; the document shows them with the rest.
  const documented = [...fastRoutes.map((r) => r.spec), ...modules.flatMap((m) => m.upgrades ?? [])];
  const checks: ReadinessCheck[] = [
    { name: 'started', check: async () => isStarted() },
    { name: 'database', check: async () => (await db.knex.raw('select 1 as ok')).rows[0]?.ok === 1 },
    ...(redis ? [{ name: 'redis', check: () => redis.ping(1_500) }] : []),
    ...modules.flatMap((m) => m.readiness ?? []),
  ];
  let openApiDoc: object | null = null;
  const health = new HealthController({
    checks,
    registry,
    metricsToken: config.metricsToken,
    openApi: () =>
      (openApiDoc ??= buildOpenApi([...controllers, health].flatMap((c) => c.routes.map((r) => r.spec)).concat(documented), {
        title: 'Call-tracking gateway API',
        version: VERSION,
        serverUrl: config.http.publicBaseUrl.href.replace(/\/$/, ''),
      })),
  });
  const httpMetrics = createHttpMetrics(registry);
  const app = createApp({
    logger,
    metrics: httpMetrics,
    authenticator,
    routes: [health, ...controllers].flatMap((c) => c.routes),
    statics: [
      ...modules.flatMap((m) => m.statics ?? []),
      { path: '/demo', handler: demoPage },
      { path: '/console', handler: consoleStatic() },
      { path: '/', handler: rootRedirect },
    ],
    trustProxy: config.http.trustProxy,
    validateResponses: config.env !== 'production',
    publicOrigin: config.http.publicBaseUrl.origin,
  });
  const fastPath = new FastPath(fastRoutes, { logger: logger.child({ component: 'fast-path' }), metrics: httpMetrics });
  return createHttpServer(app, fastPath);
}
