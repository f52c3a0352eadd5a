import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SAY_VOICES } from '../../src/adapters/telephony/twilio/say-voices.js';
import type { Config } from '../../src/config.js';

type Overrides = { [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> | Config[K] : Config[K] };

/** A complete, valid Config for tests; pieces can be overridden. Never reads the environment. */
export function createTestConfig(overrides: Overrides = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-test-'));
  const base: Config = {
    env: 'test',
    workers: { count: 1, index: 0 },
    http: { port: 0, host: '127.0.0.1', publicBaseUrl: new URL('http://127.0.0.1'), trustProxy: false, shutdownTimeoutMs: 2_000 },
    dataDir,
    db: { kind: 'pglite', dataDir: null },
    dbVacuumIntervalS: 300,
    leaseHistoryFlushMs: 200,
    dniSessionsPerMinute: 0,
    // Every test visit comes from loopback.
    dniMaxNumbersPerAddress: 0,
    demoSeed: false,
    redis: null,
    log: { level: 'silent', pretty: false },
    encryptionKey: randomBytes(32),
    recordings: { storage: { kind: 'local', dir: path.join(dataDir, 'recordings') }, linkTtlS: 3600, twilioMediaOrigins: ['https://api.twilio.com'] },
    leads: { webhook: null, requestTimeoutMs: 5_000 },
    sayVoices: DEFAULT_SAY_VOICES,
    twilioApi: { baseUrl: new URL('https://api.twilio.com'), region: null, edge: null },
    // Enqueues, retries and replays wake the worker; an idle one hardly polls, so teardown finds it asleep.
    outbox: { concurrency: 4, pollIntervalMs: 60_000, retentionDays: 30 },
    twilio: null,
    twilioVoiceFallbackUrl: null,
    bootstrap: { email: `owner-${randomBytes(3).toString('hex')}@test.local`, password: 'correct horse battery', apiKey: null },
    asterisk: null,
    // Tests talk to loopback stand-ins: the operator's allow-list, set explicitly.
    outboundAllowedNetworks: ['127.0.0.0/8', '::1/128'],
    metricsToken: null,
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const current = (base as unknown as Record<string, unknown>)[k];
    merged[k] =
      v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof URL) && !Buffer.isBuffer(v) && current && typeof current === 'object'
        ? { ...current, ...v }
        : v;
  }
  return merged as unknown as Config;
}
