import { createContainer } from '../../src/composition-root.js';
import type { Container, ContainerOptions } from '../../src/composition-root.js';
import type { Config } from '../../src/config.js';
import { createTestConfig } from './config.js';
import type { TestDatabase } from './db.js';

export interface TestGateway {
  readonly container: Container;
  readonly baseUrl: string;
  /** The owner API key created by bootstrap. */
  readonly ownerKey: string;
  readonly accountId: string;
  /** fetch against the gateway with the owner key unless other headers are given. */
  api(path: string, init?: RequestInit & { json?: unknown; key?: string | null }): Promise<Response>;
  stop(): Promise<void>;
}

/** A real gateway on an ephemeral loopback port, on the given per-file database. */
export async function startTestGateway(
  database: TestDatabase,
  opts: { config?: Config; container?: Omit<ContainerOptions, 'database'> } = {},
): Promise<TestGateway> {
  const config = opts.config ?? createTestConfig();
  const container = await createContainer(config, { defaultMetrics: false, ...opts.container, database });
  database.onDispose(() => container.stop());
  const boot = await container.bootstrap();
  if (!boot?.generatedApiKey) throw new Error('startTestGateway needs an empty database (one gateway per test database)');
  const address = await container.start();
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const ownerKey = boot.generatedApiKey;
  return {
    container,
    baseUrl,
    ownerKey,
    accountId: boot.accountId,
    api(path, init = {}) {
      const { json, key, headers, ...rest } = init;
      const h = new Headers(headers);
      const useKey = key === undefined ? ownerKey : key;
      if (useKey && !h.has('authorization')) h.set('authorization', `Bearer ${useKey}`);
      if (json !== undefined && !h.has('content-type')) h.set('content-type', 'application/json');
      return fetch(`${baseUrl}${path}`, { ...rest, headers: h, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    stop: () => container.stop(),
  };
}
