import cluster from 'node:cluster';
import { reportReady, runPrimary } from './cluster/gateway-cluster.js';
import { createContainer } from './composition-root.js';
import type { Container } from './composition-root.js';
import { ConfigError, loadConfig } from './config.js';
import type { Config } from './config.js';
import { seedDemoCredentials } from './demo/demo-credentials.js';
import { seedDemo } from './demo/demo-seed.js';
import { seedDemoActivity } from './demo/demo-activity.js';
import { createRecordingStorage } from './adapters/storage/create-recording-storage.js';
import type { BootstrapResult } from './features/auth/bootstrap.js';

function printBanner(config: Config, port: number, boot: BootstrapResult | null): void {
  const base = config.http.publicBaseUrl.href.replace(/\/$/, '');
  const local = `http://localhost:${port}`;
  const lines = [
    '',
    `  Call-tracking gateway is up (${config.db.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'}${config.redis ? ', Redis' : ''})`,
    `  API:      ${local}/v1   (OpenAPI: ${local}/v1/openapi.json)`,
    `  Console:  ${local}/console/`,
    ...(base !== local ? [`  Public:   ${base}`] : []),
  ];
  if (boot) {
    lines.push('', '  First start: an owner was created. Save these now; they are not shown again.');
    lines.push(`    console login:  ${boot.email}`);
    if (boot.generatedPassword) lines.push(`    password:       ${boot.generatedPassword}`);
    if (boot.generatedApiKey) lines.push(`    API key:        ${boot.generatedApiKey}   (Authorization: Bearer ...)`);
    if (!boot.generatedPassword || !boot.generatedApiKey) lines.push('    (BOOTSTRAP_PASSWORD / BOOTSTRAP_API_KEY were used where set)');
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (config.workers.count > 1 && cluster.isPrimary) {
    process.stdout.write(`  Starting ${config.workers.count} gateway processes on one port (GATEWAY_WORKERS)\n`);
    await runPrimary(config.workers.count, (line) => process.stderr.write(`${line}\n`));
  }
  const creating = createContainer(config);
  let created: Container | null = null;
  creating.then(
    (c) => {
      created = c;
    },
    () => undefined,
  );
  // Signals are handled from here on: a SIGTERM that arrives while the gateway is still starting (migrations,
  // modules starting) stops it gracefully once start-up settles, instead of killing it with the default action.
  let startingUp: Promise<unknown> = Promise.resolve();
  let demoHistory: Promise<unknown> = Promise.resolve();
  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    // A hard stop just short of the 10 s budget, in case something hangs.
    const hard = setTimeout(() => {
      if (created) created.logger.error('shutdown took too long; exiting');
      else process.stderr.write('shutdown took too long; exiting\n');
      process.exit(1);
    }, 9_500);
    hard.unref();
    creating
      .then(async (container) => {
        container.logger.info({ signal }, 'shutting down');
        await startingUp.catch(() => undefined);
        await demoHistory;
        await container.stop().catch((err: unknown) => {
          container.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        });
        container.logger.info('stopped');
        process.exit(0);
      })
      // A container that could not be created is reported by main's own catch.
      .catch(() => undefined);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A worker whose cluster primary is gone (killed) stops as on SIGTERM instead of serving on unsupervised.
  if (cluster.isWorker) process.on('disconnect', () => shutdown('disconnect'));

  const container: Container = await creating;
  const startUp = async (): Promise<void> => {
    const boot = await container.bootstrap();
    if (config.demoSeed) {
      const demo = await seedDemo(container.db.knex);
      await seedDemoCredentials(container.db.knex, demo.accountId, config.encryptionKey);
      if (demo.created) container.logger.info({ siteId: demo.siteId, created: demo.created }, 'demo site seeded (widget key "demo")');
    }
    if (shuttingDown) return;
    const address = await container.start();
    // In a cluster the first worker speaks for all (it is the one that ran the first start's set-up).
    if (config.workers.index === 0) printBanner(config, address.port, boot);
    reportReady();
    // The demo's history is written after the banner (a second or two on the embedded database), so start-up is not
    // slower for it; shutdown waits for it.
    if (config.demoSeed && !shuttingDown) {
      demoHistory = createRecordingStorage(config.recordings.storage)
        .then((storage) =>
          seedDemoActivity({ db: container.db.knex, storage, crmSinks: container.services.crmSinks, inquiries: container.services.inquiries }),
        )
        .then((r) => r.calls && container.logger.info({ calls: r.calls, inquiries: r.inquiries }, 'demo history seeded'))
        .catch((err: unknown) => container.logger.warn({ err }, 'demo history could not be seeded'));
    }
  };
  startingUp = startUp();
  await startingUp;
  process.on('unhandledRejection', (err) => container.logger.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
