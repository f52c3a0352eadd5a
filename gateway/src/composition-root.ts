import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { openDatabase } from './adapters/db/knex.js';
import type { Database } from './adapters/db/knex.js';
import { migrateLatest } from './adapters/db/migrate.js';
import { connectRedis } from './adapters/redis/redis-client.js';
import { AsteriskCallSource, LoggingCallEventSink } from './adapters/telephony/asterisk/asterisk-call-source.js';
import { LocalLeaderLock, RedisLeaderLock } from './adapters/telephony/asterisk/leader-lock.js';
import { AsteriskRecordingFetcher } from './adapters/telephony/asterisk/recording-fetcher.js';
import type { RedisHandle } from './adapters/redis/redis-client.js';
import type { Config } from './config.js';
import type { CallEventSink } from './features/calls/call-events.js';
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
  /** Where Asterisk call events go (default: the log, until the call service consumes them). */
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
  /** Follows the PBX over AMI (one replica at a time); null without AMI_HOST. */
  readonly asterisk: AsteriskCallSource | null;
  /** Opens MixMonitor files from the PBX spool (AMI_RECORDINGS_DIR / AMI_RECORDINGS_URL) for the recordings store. */
  readonly asteriskRecordings: AsteriskRecordingFetcher | null;
  readonly services: {
    readonly auth: AuthService;
    readonly sites: SiteService;
    readonly users: UserService;
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

    const checks: ReadinessCheck[] = [
      { name: 'database', check: async () => (await db.knex.raw('select 1 as ok')).rows[0]?.ok === 1 },
      ...(redis ? [{ name: 'redis', check: () => redis.ping(1_500) }] : []),
    ];

    const fastRoutes: FastRoute[] = [];
    const controllers: Controller[] = [
      new AuthController(auth, { secureCookies: config.http.publicBaseUrl.protocol === 'https:' }),
      new UserController(users),
      new SiteController(sites),
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
    const app = createApp({
      logger,
      metrics: httpMetrics,
      authenticator: new RequestAuthenticator(auth),
      routes: [health, ...controllers].flatMap((c) => c.routes),
      trustProxy: config.http.trustProxy,
      validateResponses: config.env !== 'production',
    });
    const fastPath = new FastPath(fastRoutes, { logger: logger.child({ component: 'fast-path' }), metrics: httpMetrics });
    const http = createHttpServer(app, fastPath);
    const scheduler = new Scheduler(createJobs({ config, db, stores, clock, logger }), logger.child({ component: 'jobs' }));
    // Exactly one replica holds the AMI connection: a Redis lock with fencing in server mode; embedded mode is a
    // single process, so its lock is trivially held.
    const asterisk = config.asterisk
      ? new AsteriskCallSource({
          config: config.asterisk,
          sink: opts.callEventSink ?? new LoggingCallEventSink(logger.child({ component: 'asterisk-events' })),
          lock: redis ? new RedisLeaderLock(redis, 'asterisk-ami', 10_000) : new LocalLeaderLock(),
          clock,
          logger: logger.child({ component: 'asterisk' }),
          registry,
        })
      : null;
    const asteriskRecordings =
      config.asterisk && (config.asterisk.recordingsDir || config.asterisk.recordingsUrl)
        ? new AsteriskRecordingFetcher({ dir: config.asterisk.recordingsDir, baseUrl: config.asterisk.recordingsUrl })
        : null;

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
      asterisk,
      asteriskRecordings,
      services: { auth, sites, users },
      bootstrap: () => bootstrapFirstOwner(db.knex, stores, config.bootstrap),
      async start() {
        const address = await http.listen(config.http.port, config.http.host);
        scheduler.start();
        asterisk?.start();
        return address;
      },
      stop() {
        stopping ??= (async () => {
          await http.close(config.http.shutdownTimeoutMs);
          await asterisk?.stop();
          await scheduler.stop();
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
