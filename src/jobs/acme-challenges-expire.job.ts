import { z } from 'zod';
import { expireClientChallenges } from '../domain/dns-records/client-challenges.js';
import type { JobDeps } from './deps.js';
import { defineJob } from './define.js';

/**
 * Every minute: withdraw ACME challenge values that users' own clients wrote and did not remove
 * (CLIENT_CHALLENGE_LIFETIME_S after they were written).
 */
export const acmeChallengesExpireJob = defineJob<Record<string, never>, JobDeps>({
  name: 'acme-challenges.expire',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 10_000 },
  everyMs: () => 60 * 1000,
  async handler(_payload, deps) {
    const removed = await expireClientChallenges(deps);
    if (removed > 0)
      deps.logger.info(
        { job: 'acme-challenges.expire', removed },
        "expired challenge values from users' clients withdrawn",
      );
  },
});
