import { z } from 'zod';
import { findPendingCertificateIds } from '../db/repos/certificates.js';
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
