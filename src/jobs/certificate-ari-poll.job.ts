import { z } from 'zod';
import { pollRenewalInfo } from '../domain/certificates/ari-poll.js';
import { certificateDeps } from './certificate-deps.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

/** How often due renewal-information checks run (each check is itself scheduled by the CA's Retry-After). */
export const ARI_POLL_EVERY_MS = 5 * 60_000;

/**
 * Every 5 minutes: ask the CA (RFC 9773 ARI) about issued certificates whose next check has come, a
 * bounded batch per run; when a window says "renew now", the renewal scan runs at once instead of at
 * its next period.
 */
export const certificateAriPollJob = defineJob<Record<string, never>, JobDeps>({
  name: 'certificate.ari-poll',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 30_000 },
  everyMs: () => ARI_POLL_EVERY_MS,
  async handler(_payload, deps) {
    const result = await pollRenewalInfo(certificateDeps(deps));
    if (result.checked + result.failed > 0)
      deps.logger.info({ job: 'certificate.ari-poll', ...result }, 'renewal information checked');
    if (result.dueNow > 0)
      await deps.queue.enqueue(
        'certificate.renew-scan',
        {},
        { dedupeId: 'certificate.renew-scan:ari' },
      );
  },
});
