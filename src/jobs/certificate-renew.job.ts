import { z } from 'zod';
import { startDueRenewals } from '../domain/certificates/certificates.js';
import { certificateDeps } from './certificate-deps.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

/** Recurring: start renewals whose time has come (renew_at: the ARI window or the spread fallback). */
export const certificateRenewJob = defineJob<Record<string, never>, JobDeps>({
  name: 'certificate.renew-scan',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 30_000 },
  everyMs: (config) => config.certificates.renewalScanMs,
  async handler(_payload, deps) {
    const started = await startDueRenewals(certificateDeps(deps));
    if (started > 0)
      deps.logger.info({ job: 'certificate.renew-scan', started }, 'certificate renewals started');
  },
});
