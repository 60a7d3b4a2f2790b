/**
 * In-process job queue for the embedded single-machine mode. Timers and a concurrency limit; nothing
 * survives a restart, which is why workers re-enqueue unfinished work recorded in the database at start.
 */
import type { Logger } from '../../logger.js';
import { backoffDelay } from '../../jobs/define.js';
import type {
  EnqueueOptions,
  JobQueue,
  JobRegistry,
  JobRunner,
  QueueCounts,
} from '../../ports/job-queue.js';
import { resolveJob } from './resolve.js';

interface PendingJob {
  name: string;
  payload: unknown;
  attempt: number;
  attempts: number;
  backoffMs: number;
  dedupeId: string | undefined;
  runAt: number;
}

export class InProcessQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly ready: PendingJob[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly delayed = new Set<PendingJob>();
  private readonly dedupe = new Set<string>();
  private readonly intervals = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private failedCount = 0;
  private run: JobRunner | null = null;
  private concurrency = 4;
  private closed = false;
  private marker = false;

  constructor(
    private readonly registry: JobRegistry,
    private readonly logger: Logger,
  ) {}

  async enqueue(name: string, payload: unknown, options: EnqueueOptions = {}): Promise<void> {
    if (this.closed) throw new Error('Job queue is closed');
    const job = resolveJob(this.registry, name, payload, options);
    if (job.dedupeId !== undefined) {
      if (this.dedupe.has(job.dedupeId)) return;
      this.dedupe.add(job.dedupeId);
    }
    this.push({ ...job, attempt: 1, runAt: Date.now() + (options.delayMs ?? 0) });
    await Promise.resolve();
  }

  async schedule(name: string, everyMs: number, payload: unknown = {}): Promise<void> {
    resolveJob(this.registry, name, payload, {});
    const existing = this.intervals.get(name);
    if (existing) clearInterval(existing);
    const timer = setInterval(() => {
      this.enqueue(name, payload, { dedupeId: `schedule:${name}` }).catch((e: unknown) =>
        this.logger.error({ err: e, job: name }, 'failed to enqueue scheduled job'),
      );
    }, everyMs);
    timer.unref();
    this.intervals.set(name, timer);
    await Promise.resolve();
  }

  async missingSchedules(names: readonly string[]): Promise<string[]> {
    return Promise.resolve(names.filter((n) => !this.intervals.has(n)));
  }

  // Nothing outside this process can empty an in-process queue: the marker lives as long as the queue.
  async hasMarker(): Promise<boolean> {
    return Promise.resolve(this.marker);
  }

  async setMarker(): Promise<void> {
    this.marker = true;
    await Promise.resolve();
  }

  async startWorker(run: JobRunner, concurrency = 4): Promise<void> {
    this.run = run;
    this.concurrency = concurrency;
    this.pump();
    await Promise.resolve();
  }

  async counts(): Promise<QueueCounts> {
    return Promise.resolve({
      waiting: this.ready.length,
      active: this.running.size,
      delayed: this.delayed.size,
      failed: this.failedCount,
    });
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('Job queue is closed');
    return Promise.resolve();
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const t of this.intervals.values()) clearInterval(t);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const all = Promise.allSettled([...this.running]);
    const timedOut = await Promise.race([all.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      this.abort.abort();
      this.logger.warn(
        { running: this.running.size },
        'jobs still running at shutdown; they will be recovered at next start',
      );
    }
  }

  private push(job: PendingJob): void {
    const wait = job.runAt - Date.now();
    if (wait > 0) {
      this.delayed.add(job);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.delayed.delete(job);
        this.ready.push(job);
        this.pump();
      }, wait);
      this.timers.add(timer);
      return;
    }
    this.ready.push(job);
    this.pump();
  }

  private pump(): void {
    const run = this.run;
    if (!run || this.closed) return;
    while (this.running.size < this.concurrency && this.ready.length > 0) {
      const job = this.ready.shift()!;
      const final = job.attempt >= job.attempts;
      const p = run({
        name: job.name,
        payload: job.payload,
        attempt: job.attempt,
        final,
        signal: this.abort.signal,
      })
        .then(
          () => {
            if (job.dedupeId !== undefined) this.dedupe.delete(job.dedupeId);
          },
          () => {
            if (final || this.closed) {
              if (job.dedupeId !== undefined) this.dedupe.delete(job.dedupeId);
              if (final) this.failedCount++;
              return;
            }
            this.push({
              ...job,
              attempt: job.attempt + 1,
              runAt: Date.now() + backoffDelay(job.backoffMs, job.attempt),
            });
          },
        )
        .finally(() => {
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
