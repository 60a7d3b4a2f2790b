import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BullmqQueue, deleteRedisKeys } from '../../src/adapters/queue/bullmq.js';
import { InProcessQueue } from '../../src/adapters/queue/in-process.js';
import { type JobDefinition, defineJob } from '../../src/jobs/define.js';
import { buildRegistry } from '../../src/jobs/registry.js';
import { startJobs } from '../../src/jobs/worker.js';
import type { JobQueue, JobRegistry } from '../../src/ports/job-queue.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/env.js';

type Kind = 'in-process' | 'bullmq';
const KINDS: Kind[] = ['in-process', 'bullmq'];
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/starchart-jobs-test' });
const open: JobQueue[] = [];
const prefixes: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((q) => q.close(500)));
  for (const p of prefixes.splice(0)) await deleteRedisKeys(TEST_REDIS_URL, p);
});

function makeQueue(
  kind: Kind,
  registry: JobRegistry,
  prefix?: string,
  lockDurationMs?: number,
): { queue: JobQueue; prefix: string } {
  const p = prefix ?? `starchart-test-jobs-${process.pid}-${Math.random().toString(36).slice(2)}`;
  if (!prefix) prefixes.push(p);
  const queue =
    kind === 'bullmq'
      ? new BullmqQueue(registry, silentLogger, {
          url: TEST_REDIS_URL,
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
