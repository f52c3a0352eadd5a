// npx tsx scripts/crm-fault-run.ts [calls=1000] [postgres://… (default: embedded PGlite)]
// The lead fault scenario of gateway/src/features/leads/lead-delivery-fault.e2e.test.ts at full size, printing its
// figures: calls through a Bitrix24 stand-in failing or stalling 40 % of requests, with crashed, concurrent and
// restarted workers. Uses a fresh in-memory database, or a scratch database created (and dropped) on the server given.
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { runLeadFaultScenario } from '../gateway/test/stand-ins/lead-fault-scenario.js';

const calls = Number(process.argv[2] ?? 1000);
const serverUrl = process.argv[3];
let scratch: string | null = null;
let url: string | null = null;
if (serverUrl) {
  scratch = `gw_fault_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${scratch}`);
  await admin.destroy();
  const u = new URL(serverUrl);
  u.pathname = `/${scratch}`;
  url = u.href;
}
const db = url ? await openDatabase({ kind: 'postgres', url, poolMax: 10 }) : await openDatabase({ kind: 'pglite', dataDir: null });
const started = Date.now();
try {
  await migrateLatest(db.knex);
  const figures = await runLeadFaultScenario(db.knex, calls);
  process.stdout.write(`${JSON.stringify({ database: db.kind, seconds: Math.round((Date.now() - started) / 1000), ...figures })}\n`);
} finally {
  await db.close();
  if (scratch && serverUrl) {
    const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.destroy();
  }
}
