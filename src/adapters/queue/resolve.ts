import type { EnqueueOptions, JobRegistry } from '../../ports/job-queue.js';

/** Look a job up, validate its payload and merge its default options (shared by both adapters). */
export function resolveJob(
  registry: JobRegistry,
  name: string,
  payload: unknown,
  options: EnqueueOptions,
) {
  const def = registry.get(name);
  if (!def) throw new Error(`Unknown job "${name}": add it to src/jobs/registry.ts`);
  const parsed: unknown = def.schema.parse(payload);
  return {
    name,
    payload: parsed,
    attempts: options.attempts ?? def.options.attempts,
    backoffMs: options.backoffMs ?? def.options.backoffMs,
    dedupeId: options.dedupeId ?? def.dedupeId?.(parsed),
  };
}
