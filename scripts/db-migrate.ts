// npm run db:migrate | db:rollback [-- --all] | db:make -- <name>. The command lives in gateway/src/cli so the
// gateway image runs it compiled: `node gateway/dist/cli/db-migrate.js latest`.
import '../gateway/src/cli/db-migrate.js';
