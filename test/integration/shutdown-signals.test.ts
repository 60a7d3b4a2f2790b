/**
 * Real child processes: a signal repeated at once (Ctrl-C under `npm start` arrives from the terminal and
 * again relayed by tsx) still shuts down gracefully; a second signal later forces the exit.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, type Spawned, spawnTsx } from '../support/process.js';

const children: Spawned[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'slow-job-worker.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real service (worker role, embedded mode: SQLite, in-process queue) running one slow job. */
async function busyWorker(jobMs: number, shutdownMs: number): Promise<Spawned> {
  const proc = spawnTsx(FIXTURE, {
    ROLE: 'worker',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'starchart-signals-')),
    SHUTDOWN_TIMEOUT_MS: String(shutdownMs),
    STARCHART_TEST_SLOW_JOB_MS: String(jobMs),
  });
  children.push(proc);
  await proc.waitForLine((l) => l.includes('"job-start"') && l.includes('busy'), 60_000);
  return proc;
}

describe('shutdown signals', () => {
  it(
    'SIGTERM and SIGINT delivered together shut down gracefully: the running job finishes, exit 0',
    {
      timeout: 90_000,
    },
    async () => {
      const proc = await busyWorker(3000, 60_000);
      proc.child.kill('SIGTERM');
      proc.child.kill('SIGINT');
      const { code } = await proc.exit;
      expect(proc.stderr.join('')).not.toContain('second signal');
      expect(code).toBe(0);
      expect(proc.lines.some((l) => l.includes('"job-done"') && l.includes('busy'))).toBe(true);
    },
  );

  it(
    'a second signal well after the first still forces the exit (1) without waiting for the job',
    {
      timeout: 90_000,
    },
    async () => {
      const proc = await busyWorker(120_000, 120_000);
      proc.child.kill('SIGTERM');
      await sleep(3000); // well past the one-second window in which a repeat counts as the same request
      expect(proc.child.exitCode).toBeNull(); // still waiting for the job
      proc.child.kill('SIGINT');
      const { code } = await proc.exit;
      expect(code).toBe(1);
      expect(proc.stderr.join('')).toContain('second signal: exiting now');
      expect(proc.lines.some((l) => l.includes('"job-done"'))).toBe(false);
    },
  );
});
