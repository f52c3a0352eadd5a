// Integration tests: real PostgreSQL and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set, PGlite otherwise;
// real HTTP on loopback; Chromium for the widget. Each file gets its own database.
module.exports = {
  'node-option': ['import=tsx'],
  require: ['gateway/test/helpers/global-setup.ts'],
  spec: ['gateway/src/**/*.e2e.test.ts', 'gateway/test/**/*.e2e.test.ts', 'dni-widget/test/**/*.e2e.test.ts', 'scripts/**/*.e2e.test.ts'],
  timeout: 30000,
  reporter: 'dot',
  exit: true,
};
