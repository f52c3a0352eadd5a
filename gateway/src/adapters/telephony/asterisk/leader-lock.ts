import { randomUUID } from 'node:crypto';
import type { RedisHandle } from '../../redis/redis-client.js';
import type { Logger } from '../../../logging/logger.js';

/**
 * One holder at a time for a named job (here: the AMI connection, so each PBX event is seen by exactly one replica).
 * `acquire` returns a fencing token that grows with every change of holder: consumers can drop writes carrying an
 * older token than one they have already seen, so a paused ex-leader cannot overwrite its successor.
 */
export interface LeaderLock {
  /** Takes the lock if free; returns the fencing token, or null when someone else holds it. */
  acquire(): Promise<number | null>;
  /** Extends the lock if still ours; false when it was lost (expired and taken). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
  readonly ttlMs: number;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** `SET key token NX PX ttl`; renew and release compare the token first (Lua), so only the holder can extend or free. */
export class RedisLeaderLock implements LeaderLock {
  private readonly token = randomUUID();
  private readonly key: string;
  private readonly fenceKey: string;

  constructor(
    private readonly redis: RedisHandle,
    name: string,
    readonly ttlMs: number,
    /** Without fencing (a lock nobody compares tokens of) acquire answers 0 and keeps no counter key behind. */
    private readonly opts: { fencing?: boolean } = {},
  ) {
    this.key = `${redis.keyPrefix}{leader:${name}}:holder`;
    this.fenceKey = `${redis.keyPrefix}{leader:${name}}:fence`;
  }

  async acquire(): Promise<number | null> {
    const ok = await this.redis.client.set(this.key, this.token, { condition: 'NX', expiration: { type: 'PX', value: this.ttlMs } });
    if (ok !== 'OK') return null;
    if (this.opts.fencing === false) return 0;
    return Number(await this.redis.client.incr(this.fenceKey));
  }

  async renew(): Promise<boolean> {
    const res = await this.redis.client.eval(RENEW, { keys: [this.key], arguments: [this.token, String(this.ttlMs)] });
    return Number(res) === 1;
  }

  async release(): Promise<void> {
    await this.redis.client.eval(RELEASE, { keys: [this.key], arguments: [this.token] });
  }
}

/**
 * Embedded mode runs one process (PGlite has a single connection, and a PostgreSQL advisory lock would need a
 * session of its own), so the lock is trivially held.
 */
export class LocalLeaderLock implements LeaderLock {
  readonly ttlMs = 60_000;
  private held = false;
  async acquire(): Promise<number | null> {
    if (this.held) return null;
    this.held = true;
    return 1;
  }
  async renew(): Promise<boolean> {
    return this.held;
  }
  async release(): Promise<void> {
    this.held = false;
  }
}

export interface LeadershipHooks {
  /** Became the holder with this fencing token. */
  elected(fencingToken: number): Promise<void> | void;
  /** Lost or gave up the lock: stop acting at once. */
  deposed(): Promise<void> | void;
}

/**
 * Keeps trying to hold `lock`, renewing at a third of its TTL. A holder that cannot reach Redis steps down before its
 * TTL runs out, so two replicas never act at once for longer than one renew interval; a dead holder's lock expires
 * and another replica takes over within about one TTL.
 */
export class LeaderElection {
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private lastRenewed = 0;
  private running = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly lock: LeaderLock,
    private readonly hooks: LeadershipHooks,
    private readonly logger: Logger,
    private readonly intervalMs = Math.max(50, Math.floor(lock.ttlMs / 3)),
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
    if (this.leader) {
      await this.stepDown();
      await this.lock.release().catch((err: unknown) => this.logger.warn({ err }, 'leader lock release failed'));
    }
  }

  private tick(): void {
    this.busy = this.round().finally(() => {
      if (this.running) this.timer = setTimeout(() => this.tick(), this.intervalMs);
    });
  }

  private async round(): Promise<void> {
    try {
      if (!this.leader) {
        const token = await this.lock.acquire();
        if (token === null || !this.running) return;
        this.leader = true;
        this.lastRenewed = Date.now();
        this.logger.info({ fencingToken: token }, 'took the leader lock');
        await this.hooks.elected(token);
        return;
      }
      if (await this.lock.renew()) this.lastRenewed = Date.now();
      else {
        this.logger.warn('leader lock lost to another replica');
        await this.stepDown();
      }
    } catch (err) {
      if (this.leader && Date.now() - this.lastRenewed > this.lock.ttlMs - this.intervalMs) {
        this.logger.warn({ err }, 'cannot renew the leader lock: stepping down');
        await this.stepDown();
      } else {
        this.logger.debug({ err }, 'leader lock round failed');
      }
    }
  }

  private async stepDown(): Promise<void> {
    if (!this.leader) return;
    this.leader = false;
    await this.hooks.deposed();
  }
}
