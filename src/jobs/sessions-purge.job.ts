import { z } from 'zod';
import { deleteExpiredSessions } from '../db/repos/sessions.js';
import type { JobDeps } from './deps.js';
import { defineJob } from './define.js';

/** Hourly: remove expired session rows so the table does not grow without bound. */
export const sessionsPurgeJob = defineJob<Record<string, never>, JobDeps>({
  name: 'sessions.purge',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 10_000 },
  everyMs: () => 60 * 60 * 1000,
  async handler(_payload, deps) {
    const removed = await deleteExpiredSessions(deps.db, deps.clock.now());
    if (removed > 0)
      deps.logger.info({ job: 'sessions.purge', removed }, 'expired sessions removed');
  },
});
