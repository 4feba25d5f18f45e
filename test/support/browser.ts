import { existsSync } from 'node:fs';

/** Debian's chromium; playwright-core never downloads a browser here. */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--headless',
];

/**
 * `test`, or `test.skip` with a clear message when chromium is absent on a developer machine.
 * Under CI (`CI` set) the test always runs, so a missing browser fails the build instead of hiding the test.
 */
export function browserTest(): jest.It {
  if (existsSync(CHROMIUM) || process.env.CI) return test;
  console.warn(`browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium); under CI it runs`);
  return test.skip;
}
