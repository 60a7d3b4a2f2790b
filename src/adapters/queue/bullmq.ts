/**
 * BullMQ adapter: one queue ("jobs") under a key prefix, job schedulers for recurring work (so several
 * replicas never duplicate a schedule), deduplication ids, retention from JOB_REMOVAL_FREQUENCY_S.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type {
  EnqueueOptions,
  JobQueue,
  JobRegistry,
  JobRunner,
  QueueCounts,
} from '../../ports/job-queue.js';
import { resolveJob } from './resolve.js';

export interface BullmqOptions {
  url: string;
  /** Redis key prefix; everything this service stores in Redis starts with it. */
  prefix: string;
  removalAgeS: number;
  /** How long a worker holds a job's lock; a job whose worker died is retried after this. */
  lockDurationMs?: number;
}

const QUEUE = 'jobs';

export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export class BullmqQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private workerConnection: Redis | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly registry: JobRegistry,
    private readonly logger: Logger,
    private readonly options: BullmqOptions,
  ) {
    this.connection = redisConnection(options.url);
    this.connection.on('error', (err) =>
      logger.warn({ err: err.message }, 'redis connection error'),
    );
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix: options.prefix });
    this.queue.on('error', (err) => logger.warn({ err: err.message }, 'job queue error'));
  }

  private retention() {
    return {
      removeOnComplete: { age: this.options.removalAgeS },
      removeOnFail: { age: this.options.removalAgeS },
    };
  }

  async enqueue(name: string, payload: unknown, options: EnqueueOptions = {}): Promise<void> {
    const job = resolveJob(this.registry, name, payload, options);
    await this.queue.add(name, job.payload, {
      attempts: job.attempts,
      backoff: { type: 'exponential', delay: job.backoffMs },
      ...(options.delayMs ? { delay: options.delayMs } : {}),
      ...(job.dedupeId !== undefined ? { deduplication: { id: job.dedupeId } } : {}),
      ...this.retention(),
    });
  }

  async schedule(name: string, everyMs: number, payload: unknown = {}): Promise<void> {
    const job = resolveJob(this.registry, name, payload, {});
    await this.queue.upsertJobScheduler(
      name,
      { every: everyMs },
      {
        name,
        data: job.payload,
        opts: {
          attempts: job.attempts,
          backoff: { type: 'exponential', delay: job.backoffMs },
          ...this.retention(),
        },
      },
    );
  }

  async missingSchedules(names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    // One round trip: a job scheduler is a member of the queue's `repeat` sorted set, keyed by its id
    // (our job name). FLUSHDB or an empty replica removes it with everything else.
    const pipeline = this.connection.pipeline();
    for (const name of names) pipeline.zscore(this.queue.toKey('repeat'), name);
    const results = (await pipeline.exec()) ?? [];
    return names.filter((_, i) => {
      const [err, score] = results[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      return score === null;
    });
  }

  async hasMarker(): Promise<boolean> {
    return (await this.connection.exists(this.markerKey())) === 1;
  }

  async setMarker(): Promise<void> {
    await this.connection.set(this.markerKey(), String(Date.now()));
  }

  /** Under the prefix, so the wipe (deleteRedisKeys) removes it too; outside BullMQ's own `jobs:` keys. */
  private markerKey(): string {
    return `${this.options.prefix}:worker-marker`;
  }

  async startWorker(run: JobRunner, concurrency = 8): Promise<void> {
    this.workerConnection = redisConnection(this.options.url);
    this.workerConnection.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'redis connection error'),
    );
    // A worker that dies mid-job (kill -9, lost node) stops renewing the job's lock; another worker's
    // stalled check (every stalledInterval) finds the lapsed lock and moves the job back to waiting, so
    // it runs again 30–45 s later. A job that stalls twice (maxStalledCount 1) fails; its work stays
    // recorded in the database for recover().
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    this.worker = new Worker(
      QUEUE,
      async (job) => {
        const attempt = job.attemptsMade + 1;
        await run({
          name: job.name,
          payload: job.data,
          attempt,
          final: attempt >= (job.opts.attempts ?? 1),
          signal: this.abort.signal,
        });
      },
      {
        connection: this.workerConnection,
        prefix: this.options.prefix,
        concurrency,
        lockDuration,
        stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
        autorun: true,
      },
    );
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'job worker error'));
    await this.worker.waitUntilReady();
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'prioritized',
    );
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  async ping(): Promise<void> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('redis ping timed out')), 1000).unref(),
    );
    await Promise.race([this.connection.ping(), timeout]);
  }

  async close(timeoutMs: number): Promise<void> {
    if (this.worker) {
      const worker = this.worker;
      const graceful = worker.close().then(() => false);
      const timedOut = await Promise.race([graceful, sleep(timeoutMs).then(() => true)]);
      if (timedOut) {
        this.abort.abort();
        this.logger.warn(
          'jobs still running at shutdown; they will be retried after their lock expires',
        );
        // A forced close can itself wait on the stuck job; the process is about to exit anyway, and the
        // job's lock expiring is what hands it to the next worker.
        await Promise.race([worker.close(true), sleep(1000)]);
      }
    }
    await this.queue.close();
    await Promise.allSettled([
      quit(this.connection),
      this.workerConnection ? quit(this.workerConnection) : null,
    ]);
  }
}

/** Delete every Redis key under the prefix (used by DANGER_DATABASE_WIPE_REINITIALIZE; never FLUSHDB). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = redisConnection(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await quit(redis);
  }
  return deleted;
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
