import { z } from 'zod';
import { deleteExpiredSamlState } from '../db/repos/saml.js';
import type { JobDeps } from './deps.js';
import { defineJob } from './define.js';

/** Every 15 minutes: forget expired SAML request ids and used response ids (replay protection rows). */
export const samlPurgeJob = defineJob<Record<string, never>, JobDeps>({
  name: 'saml.purge',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 10_000 },
  everyMs: () => 15 * 60 * 1000,
  async handler(_payload, deps) {
    const removed = await deleteExpiredSamlState(deps.db, deps.clock.now());
    if (removed > 0) deps.logger.info({ job: 'saml.purge', removed }, 'expired SAML state removed');
  },
});
