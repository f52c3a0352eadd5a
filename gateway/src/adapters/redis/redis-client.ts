import { createClient } from 'redis';
import type { Logger } from '../../logging/logger.js';

export interface RedisConfig {
  readonly url: string;
  readonly keyPrefix: string;
}

export interface RedisHandle {
  readonly client: RedisClient;
  /** Every key the gateway writes starts with this; tests give each file its own. */
  readonly keyPrefix: string;
  /** A second connection for SUBSCRIBE (a subscribed connection cannot run commands). */
  subscriber(): Promise<RedisClient>;
  ping(timeoutMs: number): Promise<boolean>;
  /**
   * Calls `fn` each time the command connection is ready again after it was lost. Redis may come back empty (a
   * restart without persistence): state kept there is rebuilt from the database then, not at the next periodic job.
   */
  onRestored(fn: () => void): void;
  close(): Promise<void>;
}

/**
 * Connects with bounded, jittered reconnects. Commands issued while disconnected fail fast instead of queueing
 * without limit, so callers (lease engine, live feed) can fall back rather than hang.
 */
function createRedisClient(url: string, logger: Logger) {
  {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5_000,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 6), 5_000) + Math.floor(Math.random() * 200),
      },
    });
    let down = false;
    client.on('error', (err: Error) => {
      if (!down) logger.warn({ err }, 'redis connection error');
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info('redis connection restored');
      down = false;
    });
    return client;
  }
}

export type RedisClient = ReturnType<typeof createRedisClient>;

export async function connectRedis(cfg: RedisConfig, logger: Logger): Promise<RedisHandle> {
  const make = (): RedisClient => createRedisClient(cfg.url, logger);
  const client = make();
  await client.connect();
  const subscribers: RedisClient[] = [];
  const restored: (() => void)[] = [];
  let lost = false;
  client.on('error', () => {
    lost = true;
  });
  client.on('end', () => {
    lost = true;
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    for (const fn of restored) fn();
  });
  return {
    client,
    keyPrefix: cfg.keyPrefix,
    async subscriber() {
      const sub = make();
      await sub.connect();
      subscribers.push(sub);
      return sub;
    },
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis ping timed out')), timeoutMs);
        });
        return (await Promise.race([client.ping(), timeout])) === 'PONG';
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    onRestored(fn) {
      restored.push(fn);
    },
    async close() {
      for (const c of [...subscribers, client]) {
        if (c.isOpen) await c.close().catch(() => c.destroy());
      }
    },
  };
}
