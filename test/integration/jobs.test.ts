import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BullmqQueue, deleteRedisKeys } from '../../src/adapters/queue/bullmq.js';
import { InProcessQueue } from '../../src/adapters/queue/in-process.js';
import { type JobDefinition, defineJob } from '../../src/jobs/define.js';
import { buildRegistry } from '../../src/jobs/registry.js';
import {
  type ScheduleWatchdog,
  createRunner,
  createScheduleWatchdog,
  recoverWork,
  startJobs,
} from '../../src/jobs/worker.js';
import type { JobQueue, JobRegistry } from '../../src/ports/job-queue.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { type DedicatedRedis, startDedicatedRedis } from '../support/redis.js';

type Kind = 'in-process' | 'bullmq';
const KINDS: Kind[] = ['in-process', 'bullmq'];
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/starchart-jobs-test' });
const open: JobQueue[] = [];
const prefixes: string[] = [];
const watchdogs: ScheduleWatchdog[] = [];

afterEach(async () => {
  for (const w of watchdogs.splice(0)) w.stop();
  await Promise.all(open.splice(0).map((q) => q.close(500)));
  for (const p of prefixes.splice(0)) await deleteRedisKeys(TEST_REDIS_URL, p);
});

function makeQueue(
  kind: Kind,
  registry: JobRegistry,
  prefix?: string,
  lockDurationMs?: number,
  url = TEST_REDIS_URL,
): { queue: JobQueue; prefix: string } {
  const p = prefix ?? `starchart-test-jobs-${process.pid}-${Math.random().toString(36).slice(2)}`;
  if (!prefix && url === TEST_REDIS_URL) prefixes.push(p);
  const queue =
    kind === 'bullmq'
      ? new BullmqQueue(registry, silentLogger, {
          url,
          prefix: p,
          removalAgeS: 60,
          ...(lockDurationMs ? { lockDurationMs } : {}),
        })
      : new InProcessQueue(registry, silentLogger);
  open.push(queue);
  return { queue, prefix: p };
}

const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

interface Recorder {
  runs: { payload: unknown; attempt: number }[];
}

function job(
  name: string,
  rec: Recorder,
  handler?: (p: { n: number }, attempt: number) => Promise<void>,
  extra: Partial<JobDefinition<{ n: number }>> = {},
) {
  return defineJob<{ n: number }>({
    name,
    schema: z.object({ n: z.number().int().default(0) }),
    options: { attempts: 3, backoffMs: 10 },
    async handler(payload, _deps, ctx) {
      rec.runs.push({ payload, attempt: ctx.attempt });
      await handler?.(payload, ctx.attempt);
    },
    ...extra,
  });
}

describe('job definitions', () => {
  it('refuse bad names and duplicate registrations', () => {
    const rec: Recorder = { runs: [] };
    expect(() => job('NoDots', rec)).toThrow(/dotted/);
    expect(() => buildRegistry([job('a.b', rec), job('a.b', rec)])).toThrow(/Two jobs/);
  });
});

describe.each(KINDS)('%s queue', (kind) => {
  it('runs a job with a validated payload and rejects unknown names and bad payloads', async () => {
    const rec: Recorder = { runs: [] };
    const registry = buildRegistry([job('test.echo', rec)]);
    const { queue } = makeQueue(kind, registry);
    await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    await queue.enqueue('test.echo', { n: 1 });
    await waitFor(() => rec.runs.length === 1);
    expect(rec.runs[0]).toEqual({ payload: { n: 1 }, attempt: 1 });
    await expect(queue.enqueue('test.nope', {})).rejects.toThrow(/Unknown job/);
    await expect(queue.enqueue('test.echo', { n: 'x' })).rejects.toThrow();
    await queue.ping();
  });

  it('retries with backoff until the last attempt, then counts it failed', async () => {
    const rec: Recorder = { runs: [] };
    const registry = buildRegistry([
      job('test.flaky', rec, async (p, attempt) => {
        if (attempt < p.n) throw new Error(`attempt ${attempt} fails`);
      }),
    ]);
    const { queue } = makeQueue(kind, registry);
    await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    await queue.enqueue('test.flaky', { n: 2 }); // succeeds on attempt 2
    await waitFor(() => rec.runs.length === 2);
    await queue.enqueue('test.flaky', { n: 99 }); // fails all 3 attempts
    await waitFor(() => rec.runs.length === 5);
    await waitFor(() => false, 300).catch(() => undefined);
    expect(rec.runs.map((r) => r.attempt)).toEqual([1, 2, 1, 2, 3]);
    expect((await queue.counts()).failed).toBe(1);
  });

  it('deduplicates by id while a job is pending, and honours delays', async () => {
    const rec: Recorder = { runs: [] };
    const registry = buildRegistry([job('test.dedupe', rec)]);
    const { queue } = makeQueue(kind, registry);
    await queue.enqueue('test.dedupe', { n: 1 }, { dedupeId: 'same', delayMs: 300 });
    await queue.enqueue('test.dedupe', { n: 2 }, { dedupeId: 'same' });
    await queue.enqueue('test.dedupe', { n: 3 }, { dedupeId: 'other' });
    expect((await queue.counts()).delayed).toBe(1);
    const started = Date.now();
    await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    await waitFor(() => rec.runs.length === 2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(rec.runs.map((r) => (r.payload as { n: number }).n).sort()).toEqual([1, 3]);
  });

  it('re-enqueues unfinished work the database records when the worker starts', async () => {
    const rec: Recorder = { runs: [] };
    const registry = buildRegistry([
      job('test.recover', rec, undefined, { recover: async () => [{ n: 7 }, { n: 8 }] }),
    ]);
    const { queue } = makeQueue(kind, registry);
    await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    await waitFor(() => rec.runs.length === 2);
    expect(rec.runs.map((r) => (r.payload as { n: number }).n).sort()).toEqual([7, 8]);
  });

  it('close() lets a running job finish within the timeout', async () => {
    const rec: Recorder = { runs: [] };
    let finished = false;
    const registry = buildRegistry([
      job('test.slow', rec, async () => {
        await new Promise((r) => setTimeout(r, 300));
        finished = true;
      }),
    ]);
    const { queue } = makeQueue(kind, registry);
    await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    await queue.enqueue('test.slow', { n: 1 });
    await waitFor(() => rec.runs.length === 1);
    await queue.close(5000);
    expect(finished).toBe(true);
  });
});

describe('bullmq across replicas', () => {
  it('a recurring schedule registered by two replicas runs once per period', async () => {
    const rec: Recorder = { runs: [] };
    const def = job('test.tick', rec, undefined, { everyMs: () => 400 });
    const registry = buildRegistry([def]);
    const { queue: a, prefix } = makeQueue('bullmq', registry);
    const { queue: b } = makeQueue('bullmq', registry, prefix);
    await Promise.all([
      startJobs({ config, queue: a, registry, deps: {}, logger: silentLogger }),
      startJobs({ config, queue: b, registry, deps: {}, logger: silentLogger }),
    ]);
    await new Promise((r) => setTimeout(r, 2100));
    // 2.1 s at one run per 400 ms: about 5 runs, never the ~10 two independent schedules would give.
    expect(rec.runs.length).toBeGreaterThanOrEqual(3);
    expect(rec.runs.length).toBeLessThanOrEqual(7);
  });

  // Interrupted jobs across a process restart: see test/integration/service.test.ts.
});

/** A recurring job every 300 ms and a recover() that counts its calls and returns one payload. */
function watchedRegistry(rec: Recorder, recovers: { calls: number }) {
  return buildRegistry([
    job('test.tick', rec, undefined, { everyMs: () => 300 }),
    job('test.recovered', rec, undefined, {
      recover: async () => {
        recovers.calls++;
        return [{ n: 7 }];
      },
    }),
  ]);
}
const ticks = (rec: Recorder) => rec.runs.filter((r) => (r.payload as { n: number }).n === 0);
const recoveredRuns = (rec: Recorder) =>
  rec.runs.filter((r) => (r.payload as { n: number }).n === 7);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(KINDS)('%s queue: schedule watchdog', (kind) => {
  it('finds nothing to repair after start: recover() does not run again and schedules keep their period', async () => {
    const rec: Recorder = { runs: [] };
    const recovers = { calls: 0 };
    const registry = watchedRegistry(rec, recovers);
    const { queue } = makeQueue(kind, registry);
    const watchdog = await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    watchdogs.push(watchdog);
    expect(await queue.hasMarker()).toBe(true);
    expect(await queue.missingSchedules(['test.tick', 'test.nothing'])).toEqual(['test.nothing']);
    const before = ticks(rec).length;
    // Checks far more often than the period: re-registering a present schedule would restart the
    // in-process timer every time and the job would never run.
    for (let i = 0; i < 12; i++) {
      expect(await watchdog.check()).toEqual({ missing: [], emptied: false, recovered: 0 });
      await sleep(100);
    }
    expect(ticks(rec).length - before).toBeGreaterThanOrEqual(2);
    expect(recovers.calls).toBe(1);
  });

  it('on a queue no worker has set up, a check registers the schedules and recovers, like a start', async () => {
    const rec: Recorder = { runs: [] };
    const recovers = { calls: 0 };
    const registry = watchedRegistry(rec, recovers);
    const { queue } = makeQueue(kind, registry);
    const watchdog = createScheduleWatchdog({
      config,
      queue,
      registry,
      deps: {},
      logger: silentLogger,
    });
    expect(await queue.hasMarker()).toBe(false);
    expect(await watchdog.check()).toEqual({
      missing: ['test.tick'],
      emptied: true,
      recovered: 1,
    });
    await queue.startWorker(createRunner(registry, {}, silentLogger));
    await waitFor(() => ticks(rec).length >= 2 && recoveredRuns(rec).length === 1);
    expect(await watchdog.check()).toEqual({ missing: [], emptied: false, recovered: 0 });
    expect(recovers.calls).toBe(1);
  });
});

describe('schedule watchdog when a schedule cannot be re-created', () => {
  it('still re-enqueues unfinished work and writes the marker, then reports the failure', async () => {
    const rec: Recorder = { runs: [] };
    const recovers = { calls: 0 };
    const registry = watchedRegistry(rec, recovers);
    const { queue } = makeQueue('in-process', registry);
    const refusing = new Proxy(queue, {
      get(target, key, receiver) {
        if (key === 'schedule') return () => Promise.reject(new Error('schedule refused'));
        const v: unknown = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const watchdog = createScheduleWatchdog({
      config,
      queue: refusing,
      registry,
      deps: {},
      logger: silentLogger,
    });
    await expect(watchdog.check()).rejects.toThrow('schedule refused');
    expect(recovers.calls).toBe(1);
    expect(await queue.hasMarker()).toBe(true);
    await queue.startWorker(createRunner(registry, {}, silentLogger));
    await waitFor(() => recoveredRuns(rec).length === 1);
  });
});

describe('bullmq: recovery by several workers at once', () => {
  it('enqueues a recovered payload once when the job has no dedupe id of its own', async () => {
    const rec: Recorder = { runs: [] };
    const registry = buildRegistry([
      job('test.recovered', rec, undefined, { recover: async () => [{ n: 1 }, { n: 2 }] }),
    ]);
    const { queue: a, prefix } = makeQueue('bullmq', registry);
    const { queue: b } = makeQueue('bullmq', registry, prefix);
    expect(await Promise.all([recoverWork(a, registry, {}), recoverWork(b, registry, {})])).toEqual(
      [2, 2],
    );
    expect((await a.counts()).waiting).toBe(2);
  });
});

describe('bullmq schedule watchdog on a Redis of its own (flushed and restarted)', () => {
  let redis: DedicatedRedis;
  beforeAll(async () => {
    redis = await startDedicatedRedis();
  });
  afterAll(async () => redis?.stop());

  it('after FLUSHDB a check re-creates the missing schedule and re-runs recover()', async () => {
    const rec: Recorder = { runs: [] };
    const recovers = { calls: 0 };
    const registry = watchedRegistry(rec, recovers);
    const { queue } = makeQueue('bullmq', registry, undefined, undefined, redis.url);
    const watchdog = await startJobs({ config, queue, registry, deps: {}, logger: silentLogger });
    watchdogs.push(watchdog);
    await waitFor(() => ticks(rec).length >= 2 && recoveredRuns(rec).length === 1);
    await redis.flush();
    expect(await queue.missingSchedules(['test.tick'])).toEqual(['test.tick']);
    expect(await queue.hasMarker()).toBe(false);
    // Without a repair nothing runs any more (what the watchdog is for).
    await sleep(400);
    const stalled = ticks(rec).length;
    await sleep(900);
    expect(ticks(rec).length).toBe(stalled);
    expect(await watchdog.check()).toEqual({
      missing: ['test.tick'],
      emptied: true,
      recovered: 1,
    });
    await waitFor(() => ticks(rec).length >= stalled + 2 && recoveredRuns(rec).length === 2);
    expect(await watchdog.check()).toEqual({ missing: [], emptied: false, recovered: 0 });
    expect(recovers.calls).toBe(2);
  });

  it('the periodic watchdog repairs a flushed Redis and an empty restarted one by itself', async () => {
    const rec: Recorder = { runs: [] };
    const recovers = { calls: 0 };
    const registry = watchedRegistry(rec, recovers);
    const { queue } = makeQueue('bullmq', registry, undefined, undefined, redis.url);
    const everySecond = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: '/tmp/starchart-jobs-test',
      JOBS_SCHEDULE_CHECK_INTERVAL_S: '1',
    });
    watchdogs.push(
      await startJobs({ config: everySecond, queue, registry, deps: {}, logger: silentLogger }),
    );
    await waitFor(() => recoveredRuns(rec).length === 1);
    await redis.flush();
    const afterFlush = ticks(rec).length;
    await waitFor(
      () => ticks(rec).length >= afterFlush + 2 && recoveredRuns(rec).length === 2,
      20_000,
    );
    await redis.kill();
    await redis.restart();
    const afterRestart = ticks(rec).length;
    await waitFor(
      () => ticks(rec).length >= afterRestart + 2 && recoveredRuns(rec).length === 3,
      30_000,
    );
    expect(await queue.missingSchedules(['test.tick'])).toEqual([]);
    expect(await queue.hasMarker()).toBe(true);
  }, 60_000);
});
