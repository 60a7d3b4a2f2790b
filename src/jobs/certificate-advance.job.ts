import { z } from 'zod';
import { findPendingCertificateIds, findStrandedCertificateIds } from '../db/repos/certificates.js';
import {
  ADVANCE_JOB,
  advanceCertificate,
  advanceDedupeId,
} from '../domain/certificates/issuance.js';
import { certificateDeps } from './certificate-deps.js';
import { defineJob } from './define.js';
import type { JobDeps } from './deps.js';

export const CertificateAdvancePayloadSchema = z
  .object({ certificateId: z.number().int().positive() })
  .strict();
export type CertificateAdvancePayload = z.infer<typeof CertificateAdvancePayloadSchema>;

/**
 * Advance one certificate through its stored issuance steps (idempotent; see domain/certificates).
 * Recovery re-enqueues every pending certificate at worker start.
 */
export const certificateAdvanceJob = defineJob<CertificateAdvancePayload, JobDeps>({
  name: ADVANCE_JOB,
  schema: CertificateAdvancePayloadSchema,
  options: { attempts: 8, backoffMs: 1_000 },
  dedupeId: (p) => advanceDedupeId(p.certificateId),
  async handler(payload, deps, ctx) {
    await advanceCertificate(certificateDeps(deps), payload.certificateId, ctx.signal);
  },
  recover: async (deps) =>
    (await findPendingCertificateIds(deps.db)).map((certificateId) => ({ certificateId })),
});

/**
 * Every minute: hand pending certificates that no worker holds back to the queue. Recovery at worker
 * start and after an emptied queue covers lost jobs; this also covers a job that ran out of attempts or
 * stalled twice while the certificate stayed pending, which would otherwise wait for the next restart.
 * The advance job's dedupe id makes this a no-op for a certificate whose job is still queued.
 */
export const certificateSweepJob = defineJob<Record<string, never>, JobDeps>({
  name: 'certificate.sweep',
  schema: z.object({}).strict(),
  options: { attempts: 1, backoffMs: 1000 },
  everyMs: () => 60_000,
  async handler(_payload, deps) {
    for (const certificateId of await findStrandedCertificateIds(deps.db, deps.clock.now()))
      await deps.queue.enqueue(ADVANCE_JOB, { certificateId });
  },
});
