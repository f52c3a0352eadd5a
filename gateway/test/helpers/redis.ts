import { randomBytes } from 'node:crypto';
import { connectRedis } from '../../src/adapters/redis/redis-client.js';
import type { RedisHandle } from '../../src/adapters/redis/redis-client.js';
import { createLogger } from '../../src/logging/logger.js';
import { testEnv } from './test-env.js';

/** A Redis connection with a key prefix of its own, so test files never see each other's keys. */
export async function createTestRedis(): Promise<RedisHandle & { dispose(): Promise<void> }> {
  if (!testEnv.redisUrl) throw new Error('TEST_REDIS_URL is not set');
  const keyPrefix = `t${randomBytes(4).toString('hex')}:`;
  const handle = await connectRedis({ url: testEnv.redisUrl, keyPrefix }, createLogger({ level: 'silent' }));
  return {
    ...handle,
    async dispose() {
      for await (const keys of handle.client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 500 })) {
        if (keys.length) await handle.client.del(keys);
      }
      await handle.close();
    },
  };
}

/**
 * Registers hooks giving the block a Redis handle. Without TEST_REDIS_URL the block is skipped locally;
 * with CI=true it fails.
 */
export function useTestRedis(): { readonly redis: RedisHandle } {
  const holder: { r: Awaited<ReturnType<typeof createTestRedis>> | null } = { r: null };
  before(async function () {
    if (!testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true but TEST_REDIS_URL is not set');
      this.skip();
    }
    holder.r = await createTestRedis();
  });
  after(async () => {
    await holder.r?.dispose();
    holder.r = null;
  });
  return {
    get redis(): RedisHandle {
      if (!holder.r) throw new Error('Redis is only available inside tests');
      return holder.r;
    },
  };
}
