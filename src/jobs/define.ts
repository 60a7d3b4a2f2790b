/**
 * A job is defined once: its dotted name, payload schema, retry options, handler, optional schedule and
 * optional recovery (work recorded in the database that must be re-enqueued when a worker starts).
 */
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { EnqueueOptions } from '../ports/job-queue.js';

export interface JobContext {
  jobName: string;
  attempt: number;
  /** Aborted when shutdown asks running jobs to stop; long handlers should check it between steps. */
  signal: AbortSignal;
}

export interface JobDefinition<P, Deps = unknown> {
  name: string;
  schema: z.ZodType<P>;
  /** Defaults for every enqueue of this job. */
  options: Required<Pick<EnqueueOptions, 'attempts' | 'backoffMs'>>;
  /** Deterministic id: identical work collapses into one job. */
  dedupeId?: (payload: P) => string;
  /** Recurring period in ms, derived from config; omitted for on-demand jobs. */
  everyMs?: (config: Config) => number | null;
  handler: (payload: P, deps: Deps, ctx: JobContext) => Promise<void>;
  /** Payloads of unfinished work found in the database; enqueued again at worker start. */
  recover?: (deps: Deps) => Promise<P[]>;
}

export function defineJob<P, Deps = unknown>(def: JobDefinition<P, Deps>): JobDefinition<P, Deps> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(def.name)) {
    throw new Error(`Job name "${def.name}" must be dotted lower-case, e.g. certificate.advance`);
  }
  return def;
}

/** Exponential backoff: base * 2^(attempt-1), attempt counted from 1. */
export const backoffDelay = (baseMs: number, attempt: number): number =>
  baseMs * 2 ** Math.max(0, attempt - 1);
