/**
 * Headless Chromium for browser tests: Debian's `chromium` package driven by playwright-core (npm browser
 * downloads do not work here). Without it, browser suites skip with a message, unless CI=true or
 * REQUIRE_BROWSER=1, where a missing browser is a failure.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';
const available = existsSync(CHROMIUM_PATH);

/** True when the suite named `suite` must skip; warns once with how to get the browser. */
export function skipBrowserSuite(suite: string): boolean {
  if (available || required) return false;
  console.warn(
    `[${suite}] SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium) ` +
      'or set CHROMIUM_PATH; CI=true or REQUIRE_BROWSER=1 makes this a failure.',
  );
  return true;
}

/** Launches headless Chromium with the flags this closed-network machine needs; fails clearly without it. */
export async function launchChromium(): Promise<Browser> {
  if (!available) {
    throw new Error(
      `Chromium is required (CI=true or REQUIRE_BROWSER=1) but ${CHROMIUM_PATH} does not exist.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
