import { defineConfig } from '@playwright/test';

/**
 * Playwright with Debian's Chromium (never `playwright install`). globalSetup starts SimpleSAMLphp and
 * the app itself (one instance against SimpleSAMLphp, one with the development IdP) on free ports.
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  workers: 1,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  globalSetup: './e2e/support/global-setup.ts',
  reporter: [
    ['list'],
    [
      'json',
      { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? '.tmp/playwright-report.json' },
    ],
  ],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
