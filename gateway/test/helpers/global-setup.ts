import knexFactory from 'knex';
import { createClient } from 'redis';
import { dropTemplate, prepareTemplate } from './db.js';
import { testEnv } from './test-env.js';

async function assertReachable(): Promise<void> {
  if (testEnv.ci && !testEnv.databaseUrl) throw new Error('CI=true but TEST_DATABASE_URL is not set');
  if (testEnv.ci && !testEnv.redisUrl) throw new Error('CI=true but TEST_REDIS_URL is not set');
  if (testEnv.databaseUrl) {
    const k = knexFactory({ client: 'pg', connection: testEnv.databaseUrl, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5_000 });
    try {
      await k.raw('select 1');
    } catch (err) {
      throw new Error(`TEST_DATABASE_URL is set but PostgreSQL is unreachable: ${(err as Error).message}`);
    } finally {
      await k.destroy();
    }
  }
  if (testEnv.redisUrl) {
    const c = createClient({ url: testEnv.redisUrl, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
    } catch (err) {
      throw new Error(`TEST_REDIS_URL is set but Redis is unreachable: ${(err as Error).message}`);
    } finally {
      if (c.isOpen) await c.close();
    }
  }
}

export async function mochaGlobalSetup(): Promise<void> {
  await assertReachable();
  await prepareTemplate();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await dropTemplate();
}
