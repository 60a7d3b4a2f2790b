import { z } from 'zod';
import { sendDueReminders } from '../domain/lifecycle/reminders.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

/** Recurring: remind owners of records and certificates crossing a threshold (30/7/1 days by default). */
export const remindersScanJob = defineJob<Record<string, never>, JobDeps>({
  name: 'reminders.scan',
  schema: z.object({}).strict(),
  options: { attempts: 3, backoffMs: 30_000 },
  everyMs: (config) => config.jobs.reminderScanS * 1000,
  async handler(_payload, deps) {
    const ids = await sendDueReminders({
      db: deps.db,
      now: deps.clock.now(),
      thresholdsDays: deps.config.reminderThresholdsDays,
      email: { productName: deps.config.productName, appUrl: deps.config.appUrl },
      rootDomain: deps.config.rootDomain,
    });
    if (ids.length > 0)
      deps.logger.info({ job: 'reminders.scan', emails: ids.length }, 'expiry reminders queued');
    if (deps.mailer) for (const id of ids) await deps.queue.enqueue('email.deliver', { id });
  },
});
