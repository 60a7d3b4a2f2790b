/** The numbers on the admin dashboard. */
import type { Db } from '../../db/client.js';
import {
  type CountBy,
  countCertificatesByStatus,
  countDnsRecordsByType,
  countDnsRecordsInError,
  countUsers,
} from '../../db/repos/admin.js';
import type { Logger } from '../../logger.js';
import type { JobQueue, QueueCounts } from '../../ports/job-queue.js';
import { type AdminActor, assertAdmin } from './admin-actor.js';

export interface AdminMetrics {
  users: number;
  suspendedUsers: number;
  recordsByType: CountBy[];
  records: number;
  recordsInError: number;
  certificatesByStatus: CountBy[];
  certificates: number;
  /** Null when the queue could not be asked (the page still renders). */
  jobs: QueueCounts | null;
}

/** Counts for the dashboard. Never throws for a queue outage (jobs is then null). */
export async function getAdminMetrics(
  deps: { db: Db; queue: JobQueue; logger?: Logger },
  actor: AdminActor,
): Promise<AdminMetrics> {
  assertAdmin(actor);
  const [users, byType, inError, byStatus] = await Promise.all([
    countUsers(deps.db),
    countDnsRecordsByType(deps.db),
    countDnsRecordsInError(deps.db),
    countCertificatesByStatus(deps.db),
  ]);
  let jobs: QueueCounts | null = null;
  try {
    jobs = await deps.queue.counts();
  } catch (err) {
    deps.logger?.warn({ err }, 'could not read job counts for the admin dashboard');
  }
  const sum = (xs: CountBy[]) => xs.reduce((a, x) => a + x.n, 0);
  return {
    users: users.total,
    suspendedUsers: users.suspended,
    recordsByType: byType,
    records: sum(byType),
    recordsInError: inError,
    certificatesByStatus: byStatus,
    certificates: sum(byStatus),
    jobs,
  };
}
