/**
 * Starts the worker role: registers recurring schedules, runs jobs through their definitions, and
 * re-enqueues unfinished work recorded in the database (the database is the source of truth). A
 * watchdog then checks every JOBS_SCHEDULE_CHECK_INTERVAL_S that Redis still holds the schedules and
 * the worker marker, and repairs both after a flush, a restart without data or a failover to an empty
 * replica, without waiting for a process restart.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { JobQueue, JobRegistry, JobRunner } from '../ports/job-queue.js';

export interface StartJobsOptions<Deps> {
  config: Config;
  queue: JobQueue;
  registry: JobRegistry;
  deps: Deps;
  logger: Logger;
  concurrency?: number;
}

export function createRunner<Deps>(registry: JobRegistry, deps: Deps, logger: Logger): JobRunner {
  return async ({ name, payload, attempt, final, signal }) => {
    const def = registry.get(name);
    if (!def) {
      logger.error({ job: name }, 'no handler for job; dropping it');
      return;
    }
    const started = performance.now();
    try {
      await def.handler(def.schema.parse(payload), deps, { jobName: name, attempt, signal });
      logger.debug({ job: name, attempt, ms: Math.round(performance.now() - started) }, 'job done');
    } catch (err) {
      // Failures are logged once, on the last attempt; earlier ones only at debug level.
      if (final) logger.error({ job: name, attempt, err }, 'job failed on its last attempt');
      else logger.debug({ job: name, attempt, err: String(err) }, 'job attempt failed; will retry');
      throw err;
    }
  };
}

/** The recurring schedules this configuration asks for (job name and period). */
export function expectedSchedules(
  registry: JobRegistry,
  config: Config,
): { name: string; everyMs: number }[] {
  const out: { name: string; everyMs: number }[] = [];
  for (const def of registry.values()) {
    const everyMs = def.everyMs?.(config);
    if (everyMs) out.push({ name: def.name, everyMs });
  }
  return out;
}

/**
 * Enqueue the unfinished work every definition's recover() finds in the database. Jobs without their
 * own dedupe id get one from their payload, so several workers recovering at once enqueue it once.
 */
export async function recoverWork<Deps>(
  queue: JobQueue,
  registry: JobRegistry,
  deps: Deps,
): Promise<number> {
  let recovered = 0;
  for (const def of registry.values()) {
    if (!def.recover) continue;
    const payloads = (await def.recover(deps)) as unknown[];
    for (const p of payloads)
      await queue.enqueue(
        def.name,
        p,
        def.dedupeId ? {} : { dedupeId: `recover:${def.name}:${JSON.stringify(p)}` },
      );
    recovered += payloads.length;
  }
  return recovered;
}

export interface WatchdogReport {
  /** Schedules that were missing and have been re-created. */
  missing: string[];
  /** The worker marker was gone: the queue had been emptied, and unfinished work was re-enqueued. */
  emptied: boolean;
  recovered: number;
}

export interface ScheduleWatchdog {
  /** One check now (also what each periodic tick runs). Throws when the queue is unreachable. */
  check(): Promise<WatchdogReport>;
  /** Stop the periodic checks (a check in progress is not awaited: the queue's close ends it). */
  stop(): void;
}

/**
 * Checks that the store still holds every expected schedule and the worker marker. Missing schedules are
 * re-created (upserts are idempotent, so every worker may do it); a missing marker means the queue was
 * emptied, so recover() runs again before the marker is written back. Periodic when intervalMs is given.
 */
export function createScheduleWatchdog<Deps>(
  options: StartJobsOptions<Deps> & { intervalMs?: number },
): ScheduleWatchdog {
  const { config, queue, registry, deps, logger } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const check = async (): Promise<WatchdogReport> => {
    const expected = expectedSchedules(registry, config);
    const [marker, missing] = await Promise.all([
      queue.hasMarker(),
      queue.missingSchedules(expected.map((s) => s.name)),
    ]);
    // A schedule that cannot be re-created must not keep the recovery below from running.
    let scheduleError: Error | null = null;
    for (const s of expected) {
      if (!missing.includes(s.name)) continue;
      try {
        await queue.schedule(s.name, s.everyMs, {});
      } catch (err) {
        scheduleError ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (missing.length > 0 && !scheduleError)
      logger.warn({ missing }, 'job schedules were missing; re-created them');
    let recovered = 0;
    if (!marker) {
      logger.warn(
        'the job queue was emptied (Redis flushed, restarted without data or failed over); re-enqueueing unfinished work from the database',
      );
      recovered = await recoverWork(queue, registry, deps);
      await queue.setMarker();
      logger.warn({ recovered }, 'unfinished work re-enqueued');
    }
    if (scheduleError) throw scheduleError;
    logger.debug({ missing: missing.length, emptied: !marker, recovered }, 'job schedules checked');
    return { missing, emptied: !marker, recovered };
  };

  const tick = () => {
    timer = null;
    check()
      .catch((err: unknown) => {
        if (!stopped) logger.warn({ err }, 'job schedule check failed; will try again');
      })
      .finally(() => {
        if (!stopped && options.intervalMs) {
          timer = setTimeout(tick, options.intervalMs);
          timer.unref();
        }
      });
  };
  if (options.intervalMs) {
    timer = setTimeout(tick, options.intervalMs);
    timer.unref();
  }
  return {
    check,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * Register the schedules, start the worker, re-enqueue unfinished work, write the worker marker, and
 * start the periodic watchdog. Stop the returned watchdog before closing the queue.
 */
export async function startJobs<Deps>(options: StartJobsOptions<Deps>): Promise<ScheduleWatchdog> {
  const { config, queue, registry, deps, logger } = options;
  for (const s of expectedSchedules(registry, config)) await queue.schedule(s.name, s.everyMs, {});
  await queue.startWorker(createRunner(registry, deps, logger), options.concurrency);
  const recovered = await recoverWork(queue, registry, deps);
  await queue.setMarker();
  logger.info({ queue: queue.kind, jobs: [...registry.keys()], recovered }, 'worker started');
  return createScheduleWatchdog({ ...options, intervalMs: config.jobs.scheduleCheckMs });
}
