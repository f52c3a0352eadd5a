/**
 * `npm run -s owner:reset [-- --email owner@example.com] [-- --password '...']`: a new password for an owner, printed
 * once. Uses DATABASE_URL, or the embedded database under DATA_DIR (stop the gateway first: the embedded database
 * is opened by one process at a time).
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../gateway/src/adapters/db/knex.js';
import { migrateLatest } from '../gateway/src/adapters/db/migrate.js';
import { loadConfig } from '../gateway/src/config.js';
import { resetOwnerPassword } from '../gateway/src/features/users/owner-reset.js';

const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' } } });
const db = await openDatabase(loadConfig().db);
try {
  await migrateLatest(db.knex);
  const r = await resetOwnerPassword(db.knex, {
    ...(values.email ? { email: values.email } : {}),
    ...(values.password ? { password: values.password } : {}),
  });
  process.stdout.write(r.generated ? `owner ${r.email}\nnew password: ${r.password}\n` : `owner ${r.email}: password changed\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
