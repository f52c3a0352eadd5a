/**
 * `npm run demo:seed`: creates the demo site, channel, pools and numbers (idempotent) in the configured database
 * and brings the lease engine's live state in line. A running gateway picks up the new pools at its next start.
 */
import { createContainer } from '../gateway/src/composition-root.js';
import { loadConfig } from '../gateway/src/config.js';
import { seedDemo } from '../gateway/src/demo/demo-seed.js';

const container = await createContainer(loadConfig(), { defaultMetrics: false });
try {
  const r = await seedDemo(container.db.knex);
  await container.services.leases.syncAll();
  process.stdout.write(`demo site ready (site ${r.siteId}, account ${r.accountId}, ${r.created} rows created); widget key: demo\n`);
} finally {
  await container.stop();
}
