import { z } from 'zod';
import { expireItems } from '../domain/lifecycle/expiry.js';
import { requestReconcile } from '../domain/reconciler/request.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

/** Recurring every EXPIRATION_REPEAT_FREQUENCY_S: remove expired records and certificates, tell owners. */
export const expiryProcessJob = defineJob<Record<string, never>, JobDeps>({
  name: 'expiry.process',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 30_000 },
  everyMs: (config) => config.jobs.expirationRepeatS * 1000,
  async handler(_payload, deps) {
    const result = await expireItems({
      db: deps.db,
      now: deps.clock.now(),
      email: { productName: deps.config.productName, appUrl: deps.config.appUrl },
      rootDomain: deps.config.rootDomain,
    });
    if (result.dnsChanged) await requestReconcile(deps);
    if (deps.mailer)
      for (const id of result.emailIds) await deps.queue.enqueue('email.deliver', { id });
    if (result.recordsRemoved + result.certificatesRemoved + result.keysCleared > 0) {
      deps.logger.info(
        {
          job: 'expiry.process',
          records: result.recordsRemoved,
          certificates: result.certificatesRemoved,
          previousKeysCleared: result.keysCleared,
        },
        'expired items removed',
      );
    }
  },
});
