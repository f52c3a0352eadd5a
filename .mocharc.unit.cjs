// Unit tests: pure functions and services on fakes. No database, no network.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['gateway/src/**/*.test.ts', 'dni-widget/test/**/*.test.ts', 'scripts/**/*.test.ts'],
  ignore: ['**/*.e2e.test.ts'],
  timeout: 10000,
  reporter: 'dot',
};
