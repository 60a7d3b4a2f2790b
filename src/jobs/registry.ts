/**
 * Every job the service knows. The worker refuses to start if two jobs share a name; adapters refuse
 * to enqueue a name that is not here.
 */
import type { JobRegistry } from '../ports/job-queue.js';
import type { JobDefinition } from './define.js';
import type { JobDeps } from './deps.js';
import { acmeChallengesExpireJob } from './acme-challenges-expire.job.js';
import { certificateAdvanceJob, certificateSweepJob } from './certificate-advance.job.js';
import { certificateDispatchJob } from './certificate-dispatch.job.js';
import { certificateAriPollJob } from './certificate-ari-poll.job.js';
import { certificateRenewJob } from './certificate-renew.job.js';
import { emailDeliverJob, emailSweepJob } from './email-deliver.job.js';
import { dnsChangesPurgeJob } from './dns-changes-purge.job.js';
import { dnsReconcileJob } from './dns-reconcile.job.js';
import { expiryProcessJob } from './expiry-process.job.js';
import { remindersScanJob } from './reminders-scan.job.js';
import { samlPurgeJob } from './saml-purge.job.js';
import { sessionsPurgeJob } from './sessions-purge.job.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each job has its own payload type
export const ALL_JOBS: JobDefinition<any, JobDeps>[] = [
  sessionsPurgeJob,
  samlPurgeJob,
  emailDeliverJob,
  emailSweepJob,
  remindersScanJob,
  expiryProcessJob,
  dnsReconcileJob,
  dnsChangesPurgeJob,
  certificateAdvanceJob,
  certificateSweepJob,
  certificateDispatchJob,
  certificateRenewJob,
  certificateAriPollJob,
  acmeChallengesExpireJob,
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export function buildRegistry(jobs: JobDefinition<any, any>[] = ALL_JOBS): JobRegistry {
  const map = new Map<string, (typeof jobs)[number]>();
  for (const job of jobs) {
    if (map.has(job.name)) throw new Error(`Two jobs are named "${job.name}"`);
    if (typeof job.handler !== 'function') throw new Error(`Job "${job.name}" has no handler`);
    map.set(job.name, job);
  }
  return map;
}
