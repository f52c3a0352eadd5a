import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLeaderLock } from '../telephony/asterisk/leader-lock.js';
import type { RedisHandle } from './redis-client.js';

/** Held this long unless renewed: a replica that dies mid-sync holds the pool's syncs back at most this long. */
const SYNC_LOCK_MS = 30_000;
/** A sync that waits longer than this for another one fails; the pool's next sync (the periodic resync) retries. */
const SYNC_LOCK_WAIT_MS = 60_000;
const POLL_MS = 50;

/**
 * One sync of a pool at a time across every replica on this Redis. Whoever holds it reads the pool's numbers from
 * the database and writes them whole, so the later of two syncs also read later: the pool ends as the database is,
 * never as a mix of two reads (which syncs in chunks could leave when two ran at once).
 */
export class RedisSyncLock {
  constructor(private readonly redis: RedisHandle) {}

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // No fencing counter: nothing compares a sync's token, and the counter would stay behind for every pool.
    const lock = new RedisLeaderLock(this.redis, `sync:${name}`, SYNC_LOCK_MS, { fencing: false });
    const deadline = Date.now() + SYNC_LOCK_WAIT_MS;
    // Bounded in time by the deadline, and so in count: one attempt per POLL_MS at most.
    while ((await lock.acquire()) === null) {
      if (Date.now() >= deadline) throw new Error(`Another sync of ${name} held it past ${SYNC_LOCK_WAIT_MS} ms`);
      await sleep(POLL_MS);
    }
    // Renewed at a third of its life while the sync runs (a sync of 60,000 numbers takes seconds on a loaded machine).
    const renew = setInterval(() => void lock.renew().catch(() => undefined), Math.floor(SYNC_LOCK_MS / 3));
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await lock.release().catch(() => undefined);
    }
  }
}
