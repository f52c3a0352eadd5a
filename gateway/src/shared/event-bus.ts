import type { Logger } from '../logging/logger.js';

/**
 * In-process domain events. Publishers never call subscribers directly, and one failing subscriber never stops
 * the others or the publisher. Cross-replica fan-out (Redis pub/sub) is a subscriber like any other.
 */
export interface DomainEvents {
  'site.changed': { accountId: string; siteId: string };
  'recording.ready': { accountId: string; callId: string; recordingId: string };
  'channel.changed': { accountId: string; siteId: string; channelId: string };
  /** A pool, its settings or its numbers changed: the lease engine re-syncs its live state. */
  'pool.changed': { accountId: string; poolId: string };
}

type Handler<T> = (payload: T) => void | Promise<void>;

export class EventBus<E extends object = DomainEvents> {
  private readonly handlers = new Map<keyof E, Set<Handler<never>>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof E>(type: K, handler: Handler<E[K]>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  /** Whether anyone listens to `type` now: a publisher may skip building a payload nobody receives. */
  listens<K extends keyof E>(type: K): boolean {
    return (this.handlers.get(type)?.size ?? 0) > 0;
  }

  /** Runs every handler; waits for async ones so callers (and tests) know when the effects are done. */
  async emit<K extends keyof E>(type: K, payload: E[K]): Promise<void> {
    const set = this.handlers.get(type);
    if (!set) return;
    await Promise.all(
      [...set].map(async (h) => {
        try {
          await (h as Handler<E[K]>)(payload);
        } catch (err) {
          this.logger.error({ err, event: String(type) }, 'event handler failed');
        }
      }),
    );
  }
}
