import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { testEnv } from './test-env.js';

/**
 * Debian's Chromium, headless, with everything that would reach the network at start-up turned off (this machine
 * has no network but the package registries; without these flags Chromium retries its own services).
 */
export function launchChromium(executablePath = testEnv.chromiumPath): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
