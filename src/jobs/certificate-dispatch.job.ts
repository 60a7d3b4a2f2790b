import { z } from 'zod';
import { purgeRateLimits } from '../db/repos/issuance-queue.js';
import { requestAdvance } from '../domain/certificates/issuance.js';
import { DISPATCH_JOB, dispatchQueue } from '../domain/certificates/queue.js';
import { certificateDeps } from './certificate-deps.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

const RATE_LIMIT_LOG_DAYS = 30;

/**
 * The issuance queue's dispatcher: sends the orders the budget allows, in queue order, and schedules
 * itself for the next token (see domain/certificates/queue.ts). Enqueued by every request and by the
 * dispatcher itself; the schedule (every minute) is the safety net that also trims the CA
 * rate-limit log to 30 days.
 */
export const certificateDispatchJob = defineJob<Record<string, never>, JobDeps>({
  name: DISPATCH_JOB,
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 2_000 },
  everyMs: () => 60_000,
  async handler(_payload, deps) {
    const cd = certificateDeps(deps);
    await dispatchQueue(cd, (id) => requestAdvance(cd, id));
    await purgeRateLimits(deps.db, deps.clock.now() - RATE_LIMIT_LOG_DAYS * 86_400_000);
  },
});
