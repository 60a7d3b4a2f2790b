/**
 * /healthcheck and the job schedules, on a Redis of the test's own: a web-only process reports missing
 * schedules as 'degraded' (200, with the reason), a process running a worker as an error (503), and both
 * say ok again once a worker's watchdog has repaired the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScheduleWatchdog, startJobs } from '../../src/jobs/worker.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { silentLogger } from '../support/db.js';
import { type DedicatedRedis, startDedicatedRedis } from '../support/redis.js';

interface Report {
  status: string;
  degraded?: string[];
  failing?: string[];
  checks: Record<
    string,
    { status: string; reason?: string; missingSchedules?: string[]; queueEmptied?: boolean }
  >;
}

describe('/healthcheck and the job schedules (BullMQ)', () => {
  let redis: DedicatedRedis;
  let web: TestApp;
  let worker: TestApp;
  let watchdog: ScheduleWatchdog | null = null;
  beforeAll(async () => {
    redis = await startDedicatedRedis();
    const prefix = 'starchart-health';
    const env = (role: string) => ({ ROLE: role, REDIS_URL: redis.url });
    web = await createTestApp({ env: env('web'), redisPrefix: prefix });
    worker = await createTestApp({ env: env('worker'), redisPrefix: prefix });
  });
  afterAll(async () => {
    watchdog?.stop();
    await web?.cleanup();
    await worker?.cleanup();
    await redis?.stop();
  });

  const get = async (t: TestApp) => {
    const res = await t.request('/healthcheck');
    return { code: res.status, body: (await res.json()) as Report };
  };

  it('says degraded on a web process, error on a running worker, and ok once repaired', async () => {
    // No worker has ever run: the web process sees no schedules, but restarting it would not help.
    let h = await get(web);
    expect(h.code).toBe(200);
    expect(h.body.status).toBe('degraded');
    expect(h.body.degraded).toEqual(['jobs']);
    expect(h.body.checks.redis?.status).toBe('ok');
    expect(h.body.checks.jobs).toMatchObject({ status: 'degraded', queueEmptied: true });
    expect(h.body.checks.jobs?.missingSchedules).toContain('expiry.process');
    expect(h.body.checks.jobs?.reason).toMatch(/schedules missing: .*expiry\.process/);
    expect(h.body.checks.jobs?.reason).toMatch(/no worker in this process/);

    // The worker starts (as startService does it): both are healthy.
    watchdog = await startJobs({
      config: worker.config,
      queue: worker.container.queue,
      registry: worker.container.registry,
      deps: worker.container.jobDeps,
      logger: silentLogger,
    });
    worker.container.worker.running = true;
    for (const t of [web, worker]) {
      h = await get(t);
      expect(h.code).toBe(200);
      expect(h.body).toMatchObject({ status: 'ok', checks: { jobs: { status: 'ok' } } });
    }

    // Redis loses everything: the worker process fails its check until its watchdog repairs the queue.
    await redis.flush();
    h = await get(worker);
    expect(h.code).toBe(503);
    expect(h.body.failing).toEqual(['jobs']);
    expect(h.body.checks.jobs).toMatchObject({ status: 'error', queueEmptied: true });
    expect(h.body.checks.jobs?.reason).toMatch(/emptied/);
    h = await get(web);
    expect(h.code).toBe(200);
    expect(h.body.status).toBe('degraded');

    expect((await watchdog.check()).emptied).toBe(true);
    for (const t of [web, worker]) expect((await get(t)).body.status).toBe('ok');
  });
});
