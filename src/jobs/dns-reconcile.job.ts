import { z } from 'zod';
import { reconcileDns } from '../domain/reconciler/reconcile.js';
import { RECONCILE_JOB } from '../domain/reconciler/request.js';
import type { JobDeps } from './deps.js';
import { defineJob } from './define.js';

export const DnsReconcilePayloadSchema = z
  .object({ mode: z.enum(['changes', 'full']).optional() })
  .strict();
export type DnsReconcilePayload = z.infer<typeof DnsReconcilePayloadSchema>;

/**
 * Converge the DNS provider to the database. Enqueued with mode "changes" right after every DNS
 * mutation (deduplicated), and run in mode "full" on a schedule and at worker start to repair drift.
 */
export const dnsReconcileJob = defineJob<DnsReconcilePayload, JobDeps>({
  name: RECONCILE_JOB,
  schema: DnsReconcilePayloadSchema,
  options: { attempts: 6, backoffMs: 2_000 },
  everyMs: (config) => config.dns.reconcileIntervalMs,
  async handler(payload, deps, ctx) {
    const report = await reconcileDns(
      {
        db: deps.db,
        provider: deps.dns,
        clock: deps.clock,
        logger: deps.logger,
        rootDomain: deps.config.rootDomain,
        signal: ctx.signal,
      },
      payload.mode ?? 'full',
    );
    if (report.changeRequests > 0 || report.rejectedChanges > 0)
      deps.logger.info({ job: RECONCILE_JOB, ...report }, 'DNS reconciliation finished');
  },
  recover: async () => [{ mode: 'full' }],
});
