/**
 * The job port: enqueue typed jobs, run recurring schedules cluster-wide, and run a worker.
 * Adapters: BullMQ on Redis (deployments) and an in-process queue (embedded default).
 */
import type { JobDefinition } from '../jobs/define.js';

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Total attempts including the first (default from the job definition). */
  attempts?: number;
  /** Base of exponential backoff between attempts: base * 2^(attempt-1). */
  backoffMs?: number;
  /** While a job with this id is waiting, delayed or running, enqueueing it again is a no-op. */
  dedupeId?: string;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** Add a job. Validates the payload against the definition's schema; throws on unknown names. */
  enqueue(name: string, payload: unknown, options?: EnqueueOptions): Promise<void>;
  /** Register (or update) a recurring schedule. Several replicas registering one schedule run it once per period. */
  schedule(name: string, everyMs: number, payload?: unknown): Promise<void>;
  /** Of these recurring schedules, the ones the backing store does not hold (e.g. after a Redis flush). */
  missingSchedules(names: readonly string[]): Promise<string[]>;
  /**
   * Whether the store still holds the marker a worker writes (setMarker) once it has registered the
   * schedules and re-enqueued unfinished work. False after FLUSHDB, a failover to an empty replica or a
   * restart without persistence: the queue was emptied and that work must be re-enqueued.
   */
  hasMarker(): Promise<boolean>;
  setMarker(): Promise<void>;
  /** Start processing jobs in this process with the given runner (see jobs/worker.ts). */
  startWorker(run: JobRunner, concurrency?: number): Promise<void>;
  counts(): Promise<QueueCounts>;
  /** Throws when the backing store is unreachable. */
  ping(): Promise<void>;
  /** Stop taking jobs, wait up to timeoutMs for running ones (then leave them to be retried), release connections. */
  close(timeoutMs: number): Promise<void>;
}

/** Runs one attempt of a job; throws to ask for a retry. `final` tells the runner no retry follows. */
export type JobRunner = (job: {
  name: string;
  payload: unknown;
  attempt: number;
  final: boolean;
  signal: AbortSignal;
}) => Promise<void>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds jobs of every payload type
export type JobRegistry = ReadonlyMap<string, JobDefinition<any, any>>;
