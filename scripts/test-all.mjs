#!/usr/bin/env node
// The whole test suite: make sure the real services are up, run vitest, then Playwright (Debian Chromium),
// and print one final line "N passed, N failed" counting both.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args, env = {}) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

mkdirSync('.tmp', { recursive: true });
let passed = 0;
let failed = 0;

if (process.env.SKIP_SERVICES !== '1' && run('bash', ['.ci/services.sh', 'all']) !== 0) {
  console.error('Could not install or start the test services; see above.');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const vitestReport = '.tmp/vitest-report.json';
rmSync(vitestReport, { force: true });
const vitestCode = run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
if (existsSync(vitestReport)) {
  const r = JSON.parse(readFileSync(vitestReport, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + countFilesFailedWithoutTests(r);
} else if (vitestCode !== 0) failed += 1;
if (vitestCode !== 0 && failed === 0) failed = 1;

if (existsSync('playwright.config.ts') && process.argv.length <= 2) {
  const pwReport = '.tmp/playwright-report.json';
  rmSync(pwReport, { force: true });
  const pwCode = run('npx', ['playwright', 'test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwReport });
  if (existsSync(pwReport)) {
    const s = JSON.parse(readFileSync(pwReport, 'utf8')).stats ?? {};
    passed += (s.expected ?? 0) + (s.flaky ?? 0);
    failed += s.unexpected ?? 0;
  }
  if (pwCode !== 0 && !existsSync(pwReport)) failed += 1;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

// A test file that failed without any failing test (it did not load, or a hook threw) counts once; a
// file whose tests failed is already counted by numFailedTests. (vitest's numFailedTestSuites also
// counts every describe block around a failing test, so it cannot be used here.)
function countFilesFailedWithoutTests(r) {
  return (r.testResults ?? []).filter(
    (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
}
