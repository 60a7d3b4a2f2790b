/**
 * The real entry point as a child process: embedded defaults, MariaDB + Redis, production refusals,
 * graceful shutdown with in-flight jobs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BullmqQueue, deleteRedisKeys } from '../../src/adapters/queue/bullmq.js';
import { buildRegistry } from '../../src/jobs/registry.js';
import { defineJob } from '../../src/jobs/define.js';
import { z } from 'zod';
import { silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { ROOT, type Spawned, freePort, spawnTsx, waitForHttp } from '../support/process.js';

const children: Spawned[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const f of cleanups) await f();
});

const MAIN = path.join(ROOT, 'src', 'main.ts');

describe('npm start with no configuration', () => {
  it('serves a healthy /healthcheck on SQLite with in-process jobs, and exits 0 on SIGTERM', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'starchart-fresh-'));
    const port = await freePort();
    const proc = spawnTsx(
      MAIN,
      { PORT: String(port), DNS_SERVER_PORT: String(await freePort()) },
      cwd,
    );
    children.push(proc);
    const res = await waitForHttp(`http://127.0.0.1:${port}/healthcheck`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; dialect?: string; kind?: string }>;
    };
    expect(body.status).toBe('ok');
    expect(body.checks.database).toMatchObject({ status: 'ok', dialect: 'sqlite' });
    expect(body.checks.queue).toMatchObject({ status: 'ok', kind: 'in-process' });
    // Pages render when started from any working directory (JSX settings must not depend on the cwd).
    const login = await fetch(`http://127.0.0.1:${port}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('Sign In');
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
  });
});

describe('MariaDB + Redis', () => {
  it('the same start works against MariaDB and Redis', async () => {
    const db = uniqueDatabaseConfig('mysql');
    cleanups.push(db.cleanup);
    const port = await freePort();
    const cwd = mkdtempSync(path.join(tmpdir(), 'starchart-mysql-'));
    const proc = spawnTsx(
      MAIN,
      {
        PORT: String(port),
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        DNS_SERVER_PORT: String(await freePort()),
      },
      cwd,
    );
    children.push(proc);
    const res = await waitForHttp(`http://127.0.0.1:${port}/healthcheck`);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; dialect?: string; kind?: string }>;
    };
    expect(res.status).toBe(200);
    expect(body.checks.database).toMatchObject({ status: 'ok', dialect: 'mysql' });
    expect(body.checks.redis).toMatchObject({ status: 'ok', kind: 'bullmq' });
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
  });
});

describe('production with nothing set', () => {
  it('exits non-zero and names every missing required setting in one message', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'starchart-prod-'));
    const proc = spawnTsx(
      MAIN,
      { NODE_ENV: 'production', SECRETS_DIR: path.join(cwd, 'none') },
      cwd,
    );
    const { code } = await proc.exit;
    expect(code).not.toBe(0);
    const err = proc.stderr.join('');
    for (const name of [
      'APP_URL',
      'ROOT_DOMAIN',
      'DATABASE_URL',
      'SESSION_SECRET',
      'SAML_IDP_METADATA_PATH',
      'AWS_ROUTE53_HOSTED_ZONE_ID',
      'NOTIFICATIONS_EMAIL_USER',
    ]) {
      expect(err).toContain(name);
    }
    expect(err.match(/Invalid configuration/g)).toHaveLength(1);
  });
});

describe('SIGTERM with a job running', () => {
  const slowDef = defineJob<{ ms: number; id: string }>({
    name: 'test.slow',
    schema: z.object({ ms: z.number(), id: z.string() }),
    options: { attempts: 3, backoffMs: 100 },
    handler: async () => undefined,
  });
  const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'slow-job-worker.ts');

  async function setup() {
    const prefix = `starchart-test-shutdown-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const db = uniqueDatabaseConfig('mysql');
    cleanups.push(db.cleanup, async () => void (await deleteRedisKeys(TEST_REDIS_URL, prefix)));
    const producer = new BullmqQueue(buildRegistry([slowDef]), silentLogger, {
      url: TEST_REDIS_URL,
      prefix,
      removalAgeS: 60,
    });
    cleanups.push(() => producer.close(100));
    const env = (shutdownMs: number) => ({
      ROLE: 'worker',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'starchart-worker-')),
      STARCHART_TEST_PREFIX: prefix,
      STARCHART_TEST_LOCK_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: String(shutdownMs),
    });
    return { producer, env };
  }

  it('a job shorter than the shutdown timeout finishes, then the process exits 0', async () => {
    const { producer, env } = await setup();
    const w = spawnTsx(FIXTURE, env(10_000));
    children.push(w);
    await w.waitForLine((l) => l.includes('"ready"'));
    await producer.enqueue('test.slow', { ms: 1500, id: 'short' });
    await w.waitForLine((l) => l.includes('job-start'));
    const sent = Date.now();
    w.child.kill('SIGTERM');
    const { code } = await w.exit;
    expect(code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(30_000);
    expect(w.lines.some((l) => l.includes('job-done') && l.includes('short'))).toBe(true);
  });

  it('a job longer than the shutdown timeout is left to retry and runs again after restart', async () => {
    const { producer, env } = await setup();
    const first = spawnTsx(FIXTURE, env(500));
    children.push(first);
    await first.waitForLine((l) => l.includes('"ready"'));
    await producer.enqueue('test.slow', { ms: 4000, id: 'long' });
    await first.waitForLine((l) => l.includes('job-start'));
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
    expect(first.lines.some((l) => l.includes('job-done'))).toBe(false);

    const second = spawnTsx(FIXTURE, env(10_000));
    children.push(second);
    const done = await second.waitForLine(
      (l) => l.includes('job-done') && l.includes('long'),
      25_000,
    );
    expect(done).toContain('long');
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  });
});
