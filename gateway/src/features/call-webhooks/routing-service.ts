import type { RedisFanout } from '../../adapters/redis/fanout.js';
import type { Logger } from '../../logging/logger.js';
import { EMPTY_SNAPSHOT, decideRoute } from './routing-table.js';
import type { RouteDecision, RoutingSnapshot, TwilioLogin } from './routing-table.js';

declare module '../../shared/event-bus.js' {
  interface DomainEvents {
    /** Tracking numbers, blocked callers or provider logins changed: the routing table reloads. */
    'routing.changed': { accountId: string };
  }
}

const FANOUT_CHANNEL = 'routing-changed';

/**
 * Holds the routing snapshot and keeps it fresh: reloads on change (coalesced, one load at a time), tells the other
 * replicas through Redis, and keeps serving the last good snapshot when a reload fails (database down).
 */
export class RoutingService {
  private snapshot: RoutingSnapshot = EMPTY_SNAPSHOT;
  private loading: Promise<boolean> | null = null;
  private again = false;

  constructor(
    private readonly deps: {
      load: () => Promise<RoutingSnapshot>;
      logger: Logger;
      fanout: RedisFanout | null;
    },
  ) {}

  get current(): RoutingSnapshot {
    return this.snapshot;
  }

  decide(call: { accountSid: string; to: string; from: string }): RouteDecision {
    return decideRoute(this.snapshot, call);
  }

  twilioLogin(accountSid: string): TwilioLogin | null {
    return this.snapshot.twilio.get(accountSid) ?? null;
  }

  async start(): Promise<void> {
    await this.refresh();
    await this.deps.fanout?.subscribe(FANOUT_CHANNEL, () => void this.refresh());
  }

  /** Reloads now; true when the new snapshot is in place. Concurrent calls share one load plus one follow-up. */
  refresh(): Promise<boolean> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      let ok = false;
      do {
        this.again = false;
        try {
          this.snapshot = await this.deps.load();
          ok = true;
        } catch (err) {
          ok = false;
          this.deps.logger.warn({ err }, 'routing table reload failed; serving the previous one');
        }
      } while (this.again);
      this.loading = null;
      return ok;
    })();
    return this.loading;
  }

  /** Something changed here: reload and tell the other replicas. */
  async changed(): Promise<void> {
    await this.refresh();
    await this.deps.fanout?.publish(FANOUT_CHANNEL, { at: Date.now() });
  }
}
