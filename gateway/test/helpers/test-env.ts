import { existsSync } from 'node:fs';

/**
 * What the test run was given. Integration suites use real PostgreSQL and Redis when these are set and PGlite /
 * no Redis otherwise; with CI=true a missing or unreachable service fails the run instead of skipping.
 */
export const testEnv = {
  databaseUrl: process.env.TEST_DATABASE_URL || null,
  redisUrl: process.env.TEST_REDIS_URL || null,
  ci: process.env.CI === 'true' || process.env.CI === '1',
  chromiumPath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
} as const;

/**
 * Browser suites drive Debian's Chromium (`apt-get install chromium`; .ci/run installs it). Without it they are
 * skipped locally, and fail with CI=true.
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(testEnv.chromiumPath)) return;
  if (testEnv.ci) throw new Error(`CI=true but Chromium is missing at ${testEnv.chromiumPath}`);
  ctx.skip();
}
