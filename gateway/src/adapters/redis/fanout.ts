import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logging/logger.js';
import type { RedisClient, RedisHandle } from './redis-client.js';

/**
 * Cross-replica broadcast over Redis pub/sub. Each replica tags what it publishes with its own id and ignores its own
 * messages (it already acted on them locally). Publishing never throws: a Redis outage loses the broadcast, not the
 * local effect, and subscribers re-subscribe when the connection comes back (node-redis does it on reconnect).
 */
export class RedisFanout {
  private readonly origin = randomUUID();
  private sub: RedisClient | null = null;
  private readonly handlers = new Map<string, (message: unknown) => void>();

  constructor(
    private readonly redis: RedisHandle,
    private readonly logger: Logger,
  ) {}

  private channel(name: string): string {
    return `${this.redis.keyPrefix}fanout:${name}`;
  }

  async subscribe(name: string, handler: (message: unknown) => void): Promise<void> {
    this.sub ??= await this.redis.subscriber();
    this.handlers.set(name, handler);
    await this.sub.subscribe(this.channel(name), (raw: string) => {
      try {
        const env = JSON.parse(raw) as { o: string; m: unknown };
        if (env.o !== this.origin) handler(env.m);
      } catch (err) {
        this.logger.warn({ err, channel: name }, 'bad fan-out message ignored');
      }
    });
  }

  async publish(name: string, message: unknown): Promise<void> {
    try {
      await this.redis.client.publish(this.channel(name), JSON.stringify({ o: this.origin, m: message }));
    } catch (err) {
      this.logger.warn({ err, channel: name }, 'fan-out publish failed');
    }
  }
}
