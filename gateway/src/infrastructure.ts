import type { Registry } from 'prom-client';
import type { Database } from './adapters/db/knex.js';
import type { OutboundGuard } from './adapters/http/outbound-guard.js';
import type { RedisFanout } from './adapters/redis/fanout.js';
import type { RedisHandle } from './adapters/redis/redis-client.js';
import type { Config } from './config.js';
import { PgAccountStore } from './features/accounts/account-store.js';
import { PgAuditLog } from './features/audit/audit-log-store.js';
import { PgApiKeyStore } from './features/auth/api-key-store.js';
import { PgSessionStore } from './features/auth/session-store.js';
import { PgChannelStore } from './features/channels/channel-store.js';
import { PgPoolStore } from './features/number-pools/pool-store.js';
import { PgOutboxStore } from './features/outbox/outbox-store.js';
import { PgRecordingStore } from './features/recordings/recording-store.js';
import { PgSiteStore } from './features/sites/site-store.js';
import { PgTrackingNumberStore } from './features/tracking-numbers/tracking-number-store.js';
import { PgUserStore } from './features/users/user-store.js';
import type { Logger } from './logging/logger.js';
import type { Clock } from './shared/clock.js';
import type { EventBus } from './shared/event-bus.js';

/** Table stores that several features read and write (stateless: every call takes its transaction). */
export interface SharedStores {
  readonly accounts: PgAccountStore;
  readonly users: PgUserStore;
  readonly apiKeys: PgApiKeyStore;
  readonly sessions: PgSessionStore;
  readonly sites: PgSiteStore;
  readonly audit: PgAuditLog;
  readonly recordings: PgRecordingStore;
  readonly outbox: PgOutboxStore;
  readonly channels: PgChannelStore;
  readonly pools: PgPoolStore;
  readonly numbers: PgTrackingNumberStore;
}

export function createSharedStores(): SharedStores {
  return {
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
}

/** What the composition root builds before any feature module, and hands to each of them. */
export interface Infrastructure {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  /** Server mode only. */
  readonly redis: RedisHandle | null;
  /** Redis pub/sub across replicas; null in embedded mode (one process). */
  readonly fanout: RedisFanout | null;
  readonly registry: Registry;
  readonly events: EventBus;
  /** fetch for every request to a URL an account configured or a provider sent (SSRF guard). */
  readonly outbound: OutboundGuard;
  readonly stores: SharedStores;
  /** Wakes the outbox worker after an enqueue (bound once the outbox module has built the worker). */
  readonly wakeOutbox: () => void;
  /** Closers run after every module stopped, last registered first (and when start-up fails). */
  readonly cleanup: (() => Promise<void>)[];
}
