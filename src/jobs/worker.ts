/**
 * Starts the worker role: registers recurring schedules, runs jobs through their definitions, and
 * re-enqueues unfinished work recorded in the database (the database is the source of truth).
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

export async function startJobs<Deps>(options: StartJobsOptions<Deps>): Promise<void> {
  const { config, queue, registry, deps, logger } = options;
  for (const def of registry.values()) {
    const every = def.everyMs?.(config);
    if (every) await queue.schedule(def.name, every, {});
  }
  await queue.startWorker(createRunner(registry, deps, logger), options.concurrency);
  let recovered = 0;
  for (const def of registry.values()) {
    if (!def.recover) continue;
    const payloads = await def.recover(deps);
    for (const p of payloads) await queue.enqueue(def.name, p);
    recovered += payloads.length;
  }
  logger.info({ queue: queue.kind, jobs: [...registry.keys()], recovered }, 'worker started');
}
