import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { openDatabase } from './adapters/db/knex.js';
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
import { UserController } from './features/users/user-controller.js';
import { UserService } from './features/users/user-service.js';
import { PgUserStore } from './features/users/user-store.js';
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
import { RedisFanout } from './adapters/redis/fanout.js';
import { webhookUrls } from './adapters/telephony/twilio/twiml.js';
import { AttributionReadModel } from './features/attribution/attribution-read-model.js';
import { noLiveLeases } from './features/attribution/attribution-types.js';
import type { LiveLeaseLookup } from './features/attribution/attribution-types.js';
import { createCallWebhookMetrics } from './features/call-webhooks/call-webhook-metrics.js';
import { RetryingCallEventWriter } from './features/call-webhooks/retrying-call-event-writer.js';
import { RoutingService } from './features/call-webhooks/routing-service.js';
import { loadRoutingSnapshot } from './features/call-webhooks/routing-table.js';
import { TwilioWebhookController } from './features/call-webhooks/twilio-webhook-controller.js';
import { PgBlockedCallerStore } from './features/calls/blocked-caller-store.js';
import type { CallChangeHook } from './features/calls/call-change-hook.js';
import { CallController } from './features/calls/call-controller.js';
import { PgCallEventStore } from './features/calls/call-event-store.js';
import { CallReadModel } from './features/calls/call-read-model.js';
import { CallService } from './features/calls/call-service.js';
import { PgCallStore } from './features/calls/call-store.js';
import { PgRecordingRefStore } from './features/calls/recording-ref-store.js';
import { createTwilioNumbersApi } from './adapters/telephony/twilio/twilio-rest.js';
import { TwilioNumberController } from './features/twilio-numbers/twilio-number-controller.js';
import { TwilioNumberService } from './features/twilio-numbers/twilio-number-service.js';
import { PgTwilioNumberStore } from './features/twilio-numbers/twilio-number-store.js';
import { LiveCallFeed } from './features/live-calls/live-call-feed.js';
import { PgProviderAccountStore } from './features/provider-accounts/provider-account-store.js';
import { SecretBox } from './features/provider-accounts/secret-box.js';

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
  /** Who holds a tracking number right now (the lease engine); none until it is wired. */
  readonly liveLeases?: LiveLeaseLookup;
  /** Code that reacts to call changes inside their transaction (the leads outbox). */
  readonly callHooks?: readonly CallChangeHook[];
  /** Where the Twilio REST client sends its requests instead of api.twilio.com (a local stand-in in tests). */
  readonly twilioApiBaseUrl?: string;
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
    readonly calls: CallService;
    readonly routing: RoutingService;
    readonly callEvents: RetryingCallEventWriter;
    readonly liveFeed: LiveCallFeed;
  };
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
    };
    const auth = new AuthService({ db: db.knex, ...stores, clock, logger: logger.child({ component: 'auth' }) });
    const sites = new SiteService({ db: db.knex, sites: stores.sites, audit: stores.audit, events });
    const users = new UserService({ db: db.knex, users: stores.users, audit: stores.audit });

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
    events.on('site.changed', () => routing.changed());
    events.on('routing.changed', () => routing.changed());
    const callStore = new PgCallStore();
    const calls = new CallService({
      db: db.knex,
      calls: callStore,
      events: new PgCallEventStore(),
      recordings: new PgRecordingRefStore(),
      blocked: blockedCallers,
      audit: stores.audit,
      readModel: new CallReadModel(),
      attribution: new AttributionReadModel(opts.liveLeases ?? noLiveLeases),
      hooks: opts.callHooks ?? [],
      bus: events,
      clock,
      logger: logger.child({ component: 'calls' }),
    });
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
      api: (creds) => createTwilioNumbersApi(creds, { baseUrl: opts.twilioApiBaseUrl ?? null }),
    });
    const callEvents = new RetryingCallEventWriter(calls, logger.child({ component: 'call-events' }), db.kind === 'pglite' ? 1 : undefined);

    const checks: ReadinessCheck[] = [
      { name: 'database', check: async () => (await db.knex.raw('select 1 as ok')).rows[0]?.ok === 1 },
      ...(redis ? [{ name: 'redis', check: () => redis.ping(1_500) }] : []),
    ];

    const twilioWebhooks = new TwilioWebhookController({
      routing,
      writer: callEvents,
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
    const fastRoutes: FastRoute[] = [...twilioWebhooks.fastRoutes];
    const controllers: Controller[] = [
      new AuthController(auth, { secureCookies: config.http.publicBaseUrl.protocol === 'https:' }),
      new UserController(users),
      new SiteController(sites),
      twilioWebhooks,
      new CallController(calls),
      new TwilioNumberController(twilioNumbers),
    ];
    let openApiDoc: object | null = null;
    const health = new HealthController({
      checks,
      registry,
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
      trustProxy: config.http.trustProxy,
      validateResponses: config.env !== 'production',
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
    const scheduler = new Scheduler(createJobs({ config, db, stores, clock, logger, routing, calls }), logger.child({ component: 'jobs' }));

    let stopping: Promise<void> | null = null;
    return {
      config,
      logger,
      db,
      redis,
      registry,
      events,
      scheduler,
      http,
      services: { auth, sites, users, calls, routing, callEvents, liveFeed },
      bootstrap: () => bootstrapFirstOwner(db.knex, stores, config.bootstrap),
      async start() {
        await routing.start();
        await liveFeed.attach(http.server);
        const address = await http.listen(config.http.port, config.http.host);
        scheduler.start();
        return address;
      },
      stop() {
        stopping ??= (async () => {
          await liveFeed.close();
          await http.close(config.http.shutdownTimeoutMs);
          await scheduler.stop();
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
