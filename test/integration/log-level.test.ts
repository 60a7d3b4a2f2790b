/**
 * The real entry point as a child process: the original's winston LOG_LEVEL values start the service
 * with one warning instead of refusing it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, type Spawned, freePort, spawnTsx, waitForHttp } from '../support/process.js';

const children: Spawned[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

const MAIN = path.join(ROOT, 'src', 'main.ts');

describe("LOG_LEVEL with the original's winston values", () => {
  it.each([
    ['silly', 'trace'],
    ['verbose', 'debug'],
  ])(
    'LOG_LEVEL=%s starts the service at %s and warns once',
    { timeout: 90_000 },
    async (given, level) => {
      const cwd = mkdtempSync(path.join(tmpdir(), 'starchart-loglevel-'));
      const port = await freePort();
      const proc = spawnTsx(
        MAIN,
        { LOG_LEVEL: given, PORT: String(port), DNS_SERVER_PORT: String(await freePort()) },
        cwd,
      );
      children.push(proc);
      // Rejects at once with the process's output if it exits instead (the old code refused the value).
      await proc.waitForLine((l) => l.includes(' started'), 60_000);
      expect((await waitForHttp(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200);
      const warnings = proc.lines
        .map((l) => JSON.parse(l) as { level: string; msg: string })
        .filter((l) => l.level === 'warn' && l.msg.includes('LOG_LEVEL'));
      expect(warnings.map((w) => w.msg)).toEqual([
        `LOG_LEVEL "${given}" is a winston level (the original's logger); logging at pino's "${level}" instead`,
      ]);
      proc.child.kill('SIGTERM');
      expect((await proc.exit).code).toBe(0);
    },
  );
});
