// npm run db:migrate | db:rollback [-- --all] | db:make -- <name>
// Runs against DATABASE_URL, or the embedded database under DATA_DIR when it is unset (same as the gateway).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../adapters/db/knex.js';
import { MIGRATIONS_DIR, migrateLatest, migrateRollback } from '../adapters/db/migrate.js';
import { loadConfig } from '../config.js';

const [command = 'latest', arg] = process.argv.slice(2);

if (command === 'make') {
  if (!arg || !/^[a-z0-9_]+$/.test(arg)) {
    process.stderr.write('usage: npm run db:make -- <snake_case_name>\n');
    process.exit(2);
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const file = path.join(MIGRATIONS_DIR, `${stamp}_${arg}.sql`);
  writeFileSync(file, `-- Why this change is needed.\n\n-- migrate:up\n\n-- migrate:down\n`, { flag: 'wx' });
  process.stdout.write(`${file}\n`);
  process.exit(0);
}

const config = loadConfig();
const db = await openDatabase(config.db);
try {
  if (command === 'latest') {
    const applied = await migrateLatest(db.knex);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
  } else if (command === 'rollback') {
    const rolled = await migrateRollback(db.knex, { all: arg === '--all' });
    process.stdout.write(rolled.length ? `rolled back: ${rolled.join(', ')}\n` : 'nothing to roll back\n');
  } else {
    process.stderr.write(`unknown command ${command}\n`);
    process.exitCode = 2;
  }
} finally {
  await db.close();
}
