import { hostname } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { openDatabase } from './adapters/db/knex.js';
import { AsteriskCallSource } from './adapters/telephony/asterisk/asterisk-call-source.js';
import { LocalLeaderLock, RedisLeaderLock } from './adapters/telephony/asterisk/leader-lock.js';
import { AsteriskRecordingFetcher } from './adapters/telephony/asterisk/recording-fetcher.js';
import type { CallEventSink } from './features/calls/call-events.js';
import type { Database } from './adapters/db/knex.js';
import { migrateLatest } from './adapters/db/migrate.js';
import { connectRedis } from './adapters/redis/redis-client.js';
import type { RedisHandle } from './adapters/redis/redis-client.js';
import type { Config } from './config.js';
import { PgAccountStore } from './features/accounts/account-store.js';
import { PgAuditLog } from './features/audit/audit-log-store.js';
import { PgApiKeyStore } from './features/auth/api-key-store.js';
import { AuthController } from './features/auth/auth-controller.js';
import { AuthService } from './features/auth/auth-service.js';
import { bootstrapFirstOwner } from './features/auth/bootstrap.js';
import type { BootstrapResult } from './features/auth/bootstrap.js';
import { RequestAuthenticator } from './features/auth/request-authenticator.js';
import { PgSessionStore } from './features/auth/session-store.js';
import { HealthController } from './features/health/health-controller.js';
import type { ReadinessCheck } from './features/health/health-controller.js';
import { SiteController } from './features/sites/site-controller.js';
import { SiteService } from './features/sites/site-service.js';
import { PgSiteStore } from './features/sites/site-store.js';
import { AsteriskRecordingSource } from './features/recordings/asterisk-recording-source.js';
import { RecordingController } from './features/recordings/recording-controller.js';
import { createRecordingUploads } from './features/recordings/recording-upload-controller.js';
import type { TwilioCredentialsLookup } from './features/recordings/recording-fetcher.js';
import { TwilioRecordingFetcher } from './features/recordings/recording-fetcher.js';
import { RecordingIntake } from './features/recordings/recording-intake.js';
import { RecordingLinkSigner } from './features/recordings/recording-links.js';
import { RecordingService } from './features/recordings/recording-service.js';
import { PgRecordingStore } from './features/recordings/recording-store.js';
import { createRecordingStorage } from './adapters/storage/create-recording-storage.js';
import type { RecordingStorage } from './adapters/storage/recording-storage.js';
import { SqlNumberLeaseStore } from './adapters/db/sql-number-lease-store.js';
import { RedisNumberLeaseStore } from './adapters/redis/redis-number-lease-store.js';
import { memoryLeaseStore } from './adapters/memory/create-memory-lease-store.js';
import { ChannelController } from './features/channels/channel-controller.js';
import { ChannelService } from './features/channels/channel-service.js';
import { PgChannelStore } from './features/channels/channel-store.js';
import { DniSessionController } from './features/dni/dni-session-controller.js';
import { DniSessionService } from './features/dni/dni-session-service.js';
import { VisitRecorder, createVisitRowMetrics } from './features/dni/visit-recorder.js';
import { NumberLeaseService } from './features/number-pools/number-lease-service.js';
import type { NumberLeaseStore } from './features/number-pools/number-lease-store-type.js';
import { PoolController } from './features/number-pools/pool-controller.js';
import { LeaseHistoryReadModel } from './features/number-pools/lease-history-read-model.js';
import { NumberHolderService } from './features/number-pools/number-holder-service.js';
import { NumberLeaseController } from './features/number-pools/number-lease-controller.js';
import { PoolHealthReadModel } from './features/number-pools/pool-health-read-model.js';
import { PoolHealthService } from './features/number-pools/pool-health-service.js';
import { createPoolMetrics } from './features/number-pools/pool-metrics.js';
import { PoolService } from './features/number-pools/pool-service.js';
import { PgPoolStore } from './features/number-pools/pool-store.js';
import { TrackingNumberController } from './features/tracking-numbers/tracking-number-controller.js';
import { TrackingNumberService } from './features/tracking-numbers/tracking-number-service.js';
import { PgTrackingNumberStore } from './features/tracking-numbers/tracking-number-store.js';
import { UserController } from './features/users/user-controller.js';
import { UserService } from './features/users/user-service.js';
import { PgUserStore } from './features/users/user-store.js';
import { consoleStatic, demoPage, rootRedirect } from './http/console-static.js';
import { widgetAsset } from './http/widget-asset.js';
import { createApp } from './http/create-app.js';
import { FastPath } from './http/fast-path.js';
import { buildOpenApi } from './http/openapi.js';
import type { Controller, FastRoute } from './http/route.js';
import { createHttpServer } from './http/server.js';
import type { HttpServer } from './http/server.js';
import { createLogger } from './logging/logger.js';
import type { Logger } from './logging/logger.js';
import { createHttpMetrics, createMetricsRegistry } from './metrics/metrics.js';
import { Scheduler } from './jobs/scheduler.js';
import { systemClock } from './shared/clock.js';
import type { Clock } from './shared/clock.js';
import { EventBus } from './shared/event-bus.js';
import { createJobs } from './jobs/jobs.js';
import type { CrmSinkService } from './features/crm-sinks/crm-sink-service.js';
import { createLeadDelivery } from './features/leads/create-lead-delivery.js';
import { OutboxController } from './features/outbox/outbox-controller.js';
import { OutboxService } from './features/outbox/outbox-service.js';
import { PgOutboxStore } from './features/outbox/outbox-store.js';
import { OutboxWorker } from './features/outbox/outbox-worker.js';
import { createOutboxMetrics } from './features/outbox/outbox-metrics.js';
import { RedisFanout } from './adapters/redis/fanout.js';
import { webhookUrls } from './adapters/telephony/twilio/twiml.js';
import { AttributionReadModel } from './features/attribution/attribution-read-model.js';
import type { LiveLeaseLookup } from './features/attribution/attribution-types.js';
import { createCallWebhookMetrics } from './features/call-webhooks/call-webhook-metrics.js';
import { AnswerGate } from './features/call-webhooks/answer-gate.js';
import { PendingCallEventJournal } from './features/call-webhooks/pending-call-event-journal.js';
import { RetryingCallEventWriter } from './features/call-webhooks/retrying-call-event-writer.js';
import { RoutingService } from './features/call-webhooks/routing-service.js';
import { loadRoutingSnapshot } from './features/call-webhooks/routing-table.js';
import { pbxNumberDirectory } from './features/call-webhooks/pbx-number-directory.js';
import { TwilioWebhookController } from './features/call-webhooks/twilio-webhook-controller.js';
import { PgBlockedCallerStore } from './features/calls/blocked-caller-store.js';
import type { CallChangeHook } from './features/calls/call-change-hook.js';
import { BlockedCallerService } from './features/calls/blocked-caller-service.js';
import { CallController } from './features/calls/call-controller.js';
import { PgCallEventStore } from './features/calls/call-event-store.js';
import { CallReadModel } from './features/calls/call-read-model.js';
import { CallService } from './features/calls/call-service.js';
import { StaleCallReconciler } from './features/calls/stale-call-reconciler.js';
import { PgCallStore } from './features/calls/call-store.js';
import { PgRecordingRefStore } from './features/calls/recording-ref-store.js';
import { createOutboundGuard } from './adapters/http/outbound-guard.js';
import { createTwilioNumbersApi } from './adapters/telephony/twilio/twilio-rest.js';
import { TwilioNumberController } from './features/twilio-numbers/twilio-number-controller.js';
import { createPoolAccuracy } from './features/pool-accuracy/create-pool-accuracy.js';
import { TwilioNumberService } from './features/twilio-numbers/twilio-number-service.js';
import { PgTwilioNumberStore } from './features/twilio-numbers/twilio-number-store.js';
import { LiveCallFeed } from './features/live-calls/live-call-feed.js';
import { PgProviderAccountStore } from './features/provider-accounts/provider-account-store.js';
import { SecretBox } from './shared/secret-box.js';
import { createInquiries } from './features/inquiries/create-inquiries.js';
import { createCallbacks } from './features/callbacks/create-callbacks.js';
import type { CallbackService } from './features/callbacks/callback-service.js';
import { createEmailTracking } from './features/email-tracking/create-email-tracking.js';
import type { EmailTracking } from './features/email-tracking/create-email-tracking.js';
import { createMeFeature } from './features/me/create-me-feature.js';
import { createAuditFeature } from './features/audit/create-audit-feature.js';
import { createCallNotesFeature } from './features/call-notes/create-call-notes-feature.js';
import { createInstallCheckFeature } from './features/sites/create-install-check-feature.js';
import { createCrmSinkTestFeature } from './features/crm-sinks/crm-sink-test.js';
import { createReports } from './features/reports/create-reports.js';

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
  /** Where Asterisk call events go (default: the call service, through the retrying writer). */
  readonly callEventSink?: CallEventSink;
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
    readonly callEvents: RetryingCallEventWriter;
    readonly liveFeed: LiveCallFeed;
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

/** The only place that constructs adapters, stores and services. */
export async function createContainer(config: Config, opts: ContainerOptions = {}): Promise<Container> {
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const clock = opts.clock ?? systemClock;
  const db = opts.database ?? (await openDatabase(config.db));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    if (opts.migrate ?? !opts.database) {
      const applied = await migrateLatest(db.knex);
      if (applied.length) logger.info({ applied }, 'database migrated');
    }
    const redis = config.redis ? await connectRedis(config.redis, logger.child({ component: 'redis' })) : null;
    if (redis) cleanup.push(() => redis.close());

    const registry = createMetricsRegistry({ defaultMetrics: opts.defaultMetrics ?? true });
    const events = new EventBus(logger.child({ component: 'events' }));

    const stores = {
      accounts: new PgAccountStore(),
      users: new PgUserStore(),
      apiKeys: new PgApiKeyStore(),
      sessions: new PgSessionStore(),
      sites: new PgSiteStore(),
      audit: new PgAuditLog(),
      recordings: new PgRecordingStore(),
      outbox: new PgOutboxStore(),
      channels: new PgChannelStore(),
      pools: new PgPoolStore(),
      numbers: new PgTrackingNumberStore(),
    };
    const auth = new AuthService({ db: db.knex, ...stores, clock, logger: logger.child({ component: 'auth' }) });
    const sites = new SiteService({ db: db.knex, sites: stores.sites, audit: stores.audit, events });
    const users = new UserService({ db: db.knex, users: stores.users, audit: stores.audit, sessions: stores.sessions });
    // The outbox is shared: each feature that delivers to the outside world registers its handler here.
    let outboxWorker: OutboxWorker | null = null;
    const wake = () => outboxWorker?.notify();
    const outbound = createOutboundGuard({ allowedNetworks: config.outboundAllowedNetworks });
    const leads = createLeadDelivery({
      outbound,
      config,
      db: db.knex,
      stores,
      clock,
      logger: logger.child({ component: 'crm' }),
      wake,
      recordingLink: ({ accountId, recordingId }) => recordings.signedUrl(accountId, recordingId),
    });
    const inquiries = createInquiries({ config, db: db.knex, stores, clock, logger: logger.child({ component: 'inquiries' }), wake, outbound });
    const callbacks = createCallbacks({
      config,
      db: db.knex,
      stores,
      inquiries,
      // Read when a callback is placed, by then the lookup below exists.
      twilioCredentials: { forAccount: (accountId) => twilioCredentials.forAccount(accountId) },
      // The retrying writer Twilio's and the PBX's events go through (defined below; read once a callback is placed).
      // Waiting for each write keeps a callback's answer ahead of its hangup.
      callEvents: { apply: async (event) => void (await callEvents.applyWithin(event, 10_000)) },
      clock,
      logger: logger.child({ component: 'callbacks' }),
    });
    const emailTracking = createEmailTracking({ config, db: db.knex, stores, inquiries, clock, logger: logger.child({ component: 'mail' }), wake });
    outboxWorker = new OutboxWorker(
      {
        db: db.knex,
        store: stores.outbox,
        handlers: [inquiries.leadHandler(leads.handler), emailTracking.forwarder],
        clock,
        logger: logger.child({ component: 'outbox' }),
        metrics: createOutboxMetrics(registry),
      },
      {
        concurrency: config.outbox.concurrency,
        pollIntervalMs: config.outbox.pollIntervalMs,
        // A lease must outlive a delivery: a few CRM requests, each bounded by the request timeout.
        leaseMs: Math.max(60_000, 4 * config.leads.requestTimeoutMs),
      },
    );
    const worker = outboxWorker;
    const outbox = new OutboxService({ db: db.knex, store: stores.outbox, audit: stores.audit, clock, wake });
    const { crmSinks, callChangeHook } = leads;

    const recordingStorage = opts.recordingStorage ?? (await createRecordingStorage(config.recordings.storage));
    const recordings = new RecordingService({
      db: db.knex,
      recordings: stores.recordings,
      storage: recordingStorage,
      audit: stores.audit,
      signer: new RecordingLinkSigner(config.encryptionKey),
      clock,
      publicBaseUrl: config.http.publicBaseUrl,
      defaultLinkTtlS: config.recordings.linkTtlS,
    });
    const asteriskRecordings =
      config.asterisk && (config.asterisk.recordingsDir || config.asterisk.recordingsUrl)
        ? new AsteriskRecordingFetcher({ dir: config.asterisk.recordingsDir, baseUrl: config.asterisk.recordingsUrl })
        : null;
    const uploads = createRecordingUploads({ db: db.knex, recordings: stores.recordings, audit: stores.audit, dataDir: config.dataDir });
    const twilioCredentials: TwilioCredentialsLookup = opts.twilioCredentials ?? {
      // The account's stored Twilio login; TWILIO_ACCOUNT_SID/TOKEN stand for the default (oldest) account.
      forAccount: async (accountId) => {
        const stored = await providerAccounts.getForAccount(db.knex, accountId, 'twilio');
        if (stored) return { accountSid: stored.externalId, authToken: stored.secret };
        if (!config.twilio) return null;
        return (await stores.accounts.first(db.knex))?.id === accountId ? config.twilio : null;
      },
    };
    const recordingIntake = new RecordingIntake({
      db: db.knex,
      recordings: stores.recordings,
      storage: recordingStorage,
      fetchers: {
        ...(asteriskRecordings ? { asterisk: new AsteriskRecordingSource(asteriskRecordings) } : {}),
        upload: uploads.staging,
        twilio: new TwilioRecordingFetcher({
          credentials: twilioCredentials,
          allowedOrigins: config.recordings.twilioMediaOrigins,
          apiBaseUrl: config.twilioApi.baseUrl,
          fetch: outbound.fetch,
        }),
      },
      events,
      hooks: [callChangeHook],
      clock,
      logger: logger.child({ component: 'recordings' }),
      deleteAtProvider: async (rec) => {
        const row = (await db.knex('calls as c').join('sites as s', 's.id', 'c.site_id').select('s.settings').where('c.id', rec.callId).first()) as
          | { settings: { deleteProviderRecordings?: boolean } }
          | undefined;
        return row?.settings.deleteProviderRecordings === true;
      },
    });
    const channels = new ChannelService({ db: db.knex, channels: stores.channels, sites: stores.sites, audit: stores.audit, events });
    const pools = new PoolService({ db: db.knex, pools: stores.pools, sites: stores.sites, channels: stores.channels, audit: stores.audit, events });
    const numbers = new TrackingNumberService({
      db: db.knex,
      numbers: stores.numbers,
      pools: stores.pools,
      sites: stores.sites,
      audit: stores.audit,
      events,
      clock,
    });
    // Two runtime modes: leases in Redis when it is configured, else in SQL (same tables, same contract); on the
    // embedded database, which exactly one process owns, in memory with write-behind to those tables.
    const leaseStore: NumberLeaseStore = redis
      ? new RedisNumberLeaseStore(redis, db.knex, logger.child({ component: 'lease-history' }))
      : db.kind === 'pglite'
        ? memoryLeaseStore(db.knex, logger.child({ component: 'lease-state' }), cleanup)
        : new SqlNumberLeaseStore(db.knex);
    const poolMetrics = createPoolMetrics(registry);
    const leases = new NumberLeaseService({
      db: db.knex,
      pools: stores.pools,
      numbers: stores.numbers,
      leases: leaseStore,
      metrics: poolMetrics,
      clock,
      logger: logger.child({ component: 'leases' }),
    });
    events.on('pool.changed', ({ accountId, poolId }) => leases.syncPool(accountId, poolId));
    const poolHealth = new PoolHealthService({
      db: db.knex,
      pools,
      poolStore: stores.pools,
      numbers: stores.numbers,
      leases,
      readModel: new PoolHealthReadModel(),
      metrics: poolMetrics,
      clock,
    });
    const visitRecorder = new VisitRecorder({
      db: db.knex,
      logger: logger.child({ component: 'dni-visits' }),
      metrics: createVisitRowMetrics(registry),
      // PGlite runs on this thread: batches small enough that a request never waits long behind one.
      ...(db.kind === 'pglite' ? { batch: 200 } : {}),
    });
    const dni = new DniSessionService({
      recorder: visitRecorder,
      secret: config.encryptionKey,
      sessionsPerMinute: config.dniSessionsPerMinute,
      db: db.knex,
      sites: stores.sites,
      channels: stores.channels,
      pools: stores.pools,
      numbers: stores.numbers,
      leases,
      events,
      clock,
    });

    const fanout = redis ? new RedisFanout(redis, logger.child({ component: 'fanout' })) : null;
    const providerAccounts = new PgProviderAccountStore(new SecretBox(config.encryptionKey));
    const blockedCallers = new PgBlockedCallerStore();
    const routing = new RoutingService({
      logger: logger.child({ component: 'routing' }),
      fanout,
      load: () =>
        loadRoutingSnapshot(db.knex, {
          defaultTwilio: config.twilio,
          now: clock.now(),
          twilioLogins: async () =>
            (await providerAccounts.listAll(db.knex, 'twilio')).map((p) => ({
              accountId: p.accountId,
              accountSid: p.externalId,
              authToken: p.secret,
            })),
        }),
    });
    // Widget answers on every replica follow an admin change at once, not after the site cache's TTL.
    const SITE_CONFIG_CHANNEL = 'site-config';
    if (fanout)
      for (const e of ['site.changed', 'channel.changed', 'pool.changed'] as const) events.on(e, () => fanout.publish(SITE_CONFIG_CHANNEL, {}));
    events.on('site.changed', () => routing.changed());
    events.on('routing.changed', () => routing.changed());
    events.on('pool.changed', () => routing.changed());
    const callStore = new PgCallStore();
    const calls = new CallService({
      db: db.knex,
      calls: callStore,
      events: new PgCallEventStore(),
      recordings: new PgRecordingRefStore(),
      blocked: blockedCallers,
      audit: stores.audit,
      readModel: new CallReadModel(),
      // Step 1 of matching asks the live lease state: history reaches SQL behind the hot path.
      attribution: new AttributionReadModel(opts.liveLeases ?? leases),
      hooks: [callChangeHook, ...(opts.callHooks ?? [])],
      bus: events,
      clock,
      logger: logger.child({ component: 'calls' }),
    });
    // One Twilio REST client per login, always through the configured base URL, region and edge.
    const twilioApiFor = (creds: { accountSid: string; authToken: string }) =>
      createTwilioNumbersApi(creds, { baseUrl: config.twilioApi.baseUrl.href, region: config.twilioApi.region, edge: config.twilioApi.edge });
    const twilioNumbers = new TwilioNumberService({
      db: db.knex,
      numbers: new PgTwilioNumberStore(),
      providerAccounts,
      audit: stores.audit,
      bus: events,
      logger: logger.child({ component: 'twilio-numbers' }),
      urls: webhookUrls(config.http.publicBaseUrl),
      defaultTwilio: config.twilio,
      voiceFallbackUrl: config.twilioVoiceFallbackUrl,
      api: twilioApiFor,
    });
    const answerGate = new AnswerGate();
    const callEvents = new RetryingCallEventWriter(calls, logger.child({ component: 'call-events' }), {
      ...(db.kind === 'pglite' ? { maxConcurrent: 1 } : {}),
      gate: answerGate,
      // One file per host and port: processes sharing a volume each replay only their own.
      journal: new PendingCallEventJournal(path.join(config.dataDir, `pending-call-events-${hostname()}-${config.http.port}.jsonl`)),
    });

    // Exactly one replica holds the AMI connection: a Redis lock with fencing in server mode; embedded mode is a
    // single process, so its lock is trivially held. Events go through the same retrying writer as Twilio's.
    const asterisk = config.asterisk
      ? new AsteriskCallSource({
          config: config.asterisk,
          sink: opts.callEventSink ?? { apply: async (event) => callEvents.submit(event) },
          lock: redis ? new RedisLeaderLock(redis, 'asterisk-ami', 10_000) : new LocalLeaderLock(),
          clock,
          logger: logger.child({ component: 'asterisk' }),
          registry,
          numbers: () => pbxNumberDirectory(routing.current),
        })
      : null;

    const checks: ReadinessCheck[] = [
      { name: 'database', check: async () => (await db.knex.raw('select 1 as ok')).rows[0]?.ok === 1 },
      ...(redis ? [{ name: 'redis', check: () => redis.ping(1_500) }] : []),
    ];

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
    const fastRoutes: FastRoute[] = [
      ...new DniSessionController(dni, { trustProxy: config.http.trustProxy }).fastRoutes,
      ...twilioWebhooks.fastRoutes,
    ];
    const controllers: Controller[] = [
      new AuthController(auth, { secureCookies: config.http.publicBaseUrl.protocol === 'https:' }),
      new UserController(users),
      new SiteController(sites),
      new RecordingController(recordings),
      uploads.controller(recordingIntake),
      ...leads.controllers,
      ...inquiries.controllers,
      ...emailTracking.controllers,
      new OutboxController(outbox),
      new ChannelController(channels),
      new PoolController(pools, poolHealth),
      new TrackingNumberController(numbers),
      new NumberLeaseController(new NumberHolderService({ db: db.knex, leases, history: new LeaseHistoryReadModel(), pools: stores.pools }), clock),
      new CallController(calls, new BlockedCallerService({ db: db.knex, blocked: blockedCallers, audit: stores.audit, bus: events })),
      new TwilioNumberController(twilioNumbers),
      ...createMeFeature({ db: db.knex, audit: stores.audit, authenticator: new RequestAuthenticator(auth) }).controllers,
      ...createAuditFeature({ db: db.knex }).controllers,
      ...createCallNotesFeature({ db: db.knex, audit: stores.audit }).controllers,
      ...createInstallCheckFeature({ db: db.knex, outbound }).controllers,
      ...createCrmSinkTestFeature({ db: db.knex, outbox: stores.outbox, audit: stores.audit, wake }).controllers,
      ...createReports({ db: db.knex, config, clock, stores }).controllers,
      ...createPoolAccuracy({ db: db.knex, pools, sites: stores.sites, clock }).controllers,
    ];
    let openApiDoc: object | null = null;
    const health = new HealthController({
      checks,
      registry,
      metricsToken: config.metricsToken,
      openApi: () =>
        (openApiDoc ??= buildOpenApi([...controllers, health].flatMap((c) => c.routes.map((r) => r.spec)).concat(fastRoutes.map((r) => r.spec)), {
          title: 'Call-tracking gateway API',
          version: VERSION,
          serverUrl: config.http.publicBaseUrl.href.replace(/\/$/, ''),
        })),
    });

    const httpMetrics = createHttpMetrics(registry);
    const authenticator = new RequestAuthenticator(auth);
    const app = createApp({
      logger,
      metrics: httpMetrics,
      authenticator,
      routes: [health, ...controllers].flatMap((c) => c.routes),
      statics: [
        { path: '/', handler: widgetAsset().handler },
        { path: '/', handler: inquiries.widgetAsset },
        { path: '/demo', handler: demoPage },
        { path: '/console', handler: consoleStatic() },
        { path: '/', handler: rootRedirect },
      ],
      trustProxy: config.http.trustProxy,
      validateResponses: config.env !== 'production',
      publicOrigin: config.http.publicBaseUrl.origin,
    });
    const fastPath = new FastPath(fastRoutes, { logger: logger.child({ component: 'fast-path' }), metrics: httpMetrics });
    const http = createHttpServer(app, fastPath);
    const liveFeed = new LiveCallFeed({
      authenticator,
      bus: events,
      fanout,
      publicBaseUrl: config.http.publicBaseUrl,
      logger: logger.child({ component: 'live-calls' }),
      validateMessages: config.env !== 'production',
    });
    const scheduler = new Scheduler(
      createJobs({
        config,
        db,
        stores,
        clock,
        logger,
        recordingIntake,
        recordingStorage,
        numberPools: { leases, health: poolHealth, numbers },
        routing,
        calls,
        staleCalls: new StaleCallReconciler({
          db: db.knex,
          calls: callStore,
          sink: calls,
          twilio: {
            forAccount: async (accountId) => {
              const creds = await twilioCredentials.forAccount(accountId);
              return creds ? { accountSid: creds.accountSid, ...twilioApiFor(creds) } : null;
            },
          },
          asterisk: asterisk ? () => asterisk.liveCallIds() : null,
          clock,
          logger: logger.child({ component: 'stale-calls' }),
        }),
        callbacks,
        rawMailRetention: emailTracking.rawMailRetention,
      }),
      logger.child({ component: 'jobs' }),
    );

    let stopping: Promise<void> | null = null;
    let smtpAddress: AddressInfo | null = null;
    return {
      config,
      logger,
      db,
      redis,
      registry,
      events,
      scheduler,
      http,
      services: {
        auth,
        sites,
        users,
        recordings,
        recordingIntake,
        crmSinks,
        outbox,
        channels,
        pools,
        numbers,
        leases,
        poolHealth,
        dni,
        visitRecorder,
        calls,
        routing,
        callEvents,
        liveFeed,
      },
      outboxWorker: worker,
      emailTracking,
      callbacks,
      smtpAddress: () => smtpAddress,
      callChangeHook,
      asterisk,
      asteriskRecordings,
      bootstrap: () => bootstrapFirstOwner(db.knex, stores, config.bootstrap),
      async start() {
        // The live lease state may be behind SQL (Redis restarted or emptied, numbers changed while down).
        await leases.syncAll();
        await routing.start();
        // Call writes a previous run could not land (the database was down when it stopped or crashed).
        callEvents.resume();
        await fanout?.subscribe(SITE_CONFIG_CHANNEL, () => dni.forgetSites());
        await liveFeed.attach(http.server);
        const address = await http.listen(config.http.port, config.http.host);
        scheduler.start();
        // After bootstrap: the env webhook sink belongs to the default account, which exists by now.
        await crmSinks.ensureEnvWebhookSink(config.leads.webhook);
        worker.start();
        asterisk?.start();
        smtpAddress = await emailTracking.start();
        return address;
      },
      stop() {
        stopping ??= (async () => {
          await liveFeed.close();
          await http.close(config.http.shutdownTimeoutMs);
          await worker.stop(Math.floor(config.http.shutdownTimeoutMs / 2));
          await scheduler.stop();
          // Lease history still in the Redis streams goes to SQL now rather than at the next start.
          await leases.flushHistory().catch((err: unknown) => logger.warn({ err }, 'final lease history flush failed'));
          await visitRecorder.stop();
          await asterisk?.stop();
          await emailTracking.stop();
          await callbacks.close();
          await callEvents.stop();
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
