/**
 * Writes the Asterisk dialplan include that maps tracking DIDs to their forward-to numbers:
 *
 *   npm run -s asterisk:dialplan                                  # print to stdout
 *   npm run -s asterisk:dialplan -- --out docker/asterisk/tracking-dids.conf [--account <id>]
 *
 * Reads DATABASE_URL (or the embedded database under DATA_DIR), like the gateway. The file is replaced atomically;
 * reload the dialplan afterwards (`asterisk -rx 'dialplan reload'`).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { openDatabase } from '../adapters/db/knex.js';
import { loadAsteriskDids, renderDidInclude } from '../adapters/telephony/asterisk/dialplan.js';
import { loadConfig } from '../config.js';

const args = process.argv.slice(2);
let out: string | null = null;
let account: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i] ?? null;
  else if (args[i] === '--account') account = args[++i];
  else {
    process.stderr.write('usage: asterisk:dialplan [--out FILE] [--account ID]\n');
    process.exit(2);
  }
}

const config = loadConfig();
const db = await openDatabase(config.db);
try {
  const dids = await loadAsteriskDids(db.knex, account);
  const text = renderDidInclude(dids, new Date());
  if (out) {
    writeFileSync(`${out}.tmp`, text);
    renameSync(`${out}.tmp`, out);
    process.stderr.write(`${dids.length} DIDs written to ${out}\n`);
  } else {
    process.stdout.write(text);
  }
} finally {
  await db.close();
}
