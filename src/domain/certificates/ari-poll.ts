/**
 * ACME Renewal Information polling (RFC 9773): for issued certificates whose next check has come, ask
 * the CA for its suggested renewal window, store it, and move `renew_at` to a random time inside it
 * (renewal-timing.ts says how). Without ARI at the CA the spread fallback `renew_at` stands.
 *
 * Scheduling: right after issuance (complete() sets `ari_next_check_at = now`), then after the CA's
 * Retry-After clamped to [1 minute, 12 hours] (6 hours without one); after an error (any CaError kind)
 * 5 minutes doubling per consecutive error, capped at 12 hours. Expired and superseded certificates
 * are never asked about (the query only takes issued, unexpired rows).
 */
import {
  claimAriCheck,
  findCertificatesDueForAriCheck,
  updateCertificate,
} from '../../db/repos/certificates.js';
import { CaError } from '../../ports/certificate-authority.js';
import type { CertificateDeps } from './issuance.js';
import {
  ARI_MAX_CHECK_MS,
  chooseInWindow,
  errorBackoff,
  nextCheckAfter,
} from './renewal-timing.js';

export interface AriPollResult {
  /** Certificates whose renewal information was fetched. */
  checked: number;
  /** Certificates whose request failed (backing off). */
  failed: number;
  /** Certificates whose renewal time has now come (the renewal scan should run). */
  dueNow: number;
  /** The CA offers no renewal information: the checks were postponed by the maximum interval. */
  unsupported: boolean;
}

/** A claimed check that has not answered within this long may be taken again (a crashed worker). */
const CLAIM_MS = 10 * 60_000;

/**
 * Check up to `limit` due certificates. Never throws for a CA problem (each one backs off); throws only
 * for database errors. `random` is for tests.
 */
export async function pollRenewalInfo(
  deps: Pick<CertificateDeps, 'db' | 'ca' | 'clock' | 'logger'>,
  opts: { limit?: number; random?: () => number } = {},
): Promise<AriPollResult> {
  const random = opts.random ?? Math.random;
  const result: AriPollResult = { checked: 0, failed: 0, dueNow: 0, unsupported: false };
  const now = deps.clock.now();
  const due = await findCertificatesDueForAriCheck(deps.db, now, opts.limit ?? 200);
  if (due.length === 0) return result;
  let offered: boolean;
  try {
    offered = (await deps.ca.directoryInfo()).renewalInfo;
  } catch (err) {
    // The directory itself is unreachable: nothing is claimed, the next run asks again.
    deps.logger.warn({ err }, 'renewal information: the CA directory could not be read');
    return result;
  }
  if (!offered) {
    // Ask again later in case the CA starts offering it; the fallback renew_at stands meanwhile.
    for (const c of due)
      await claimAriCheck(deps.db, c.id, c.ari_next_check_at!, now + ARI_MAX_CHECK_MS);
    result.unsupported = true;
    return result;
  }
  for (const c of due) {
    if (!(await claimAriCheck(deps.db, c.id, c.ari_next_check_at!, now + CLAIM_MS))) continue;
    try {
      const info = await deps.ca.renewalInfo(c.ari_cert_id!);
      const at = deps.clock.now();
      if (!info) {
        await updateCertificate(deps.db, c.id, {
          ari_checked_at: at,
          ari_failures: 0,
          ari_next_check_at: at + ARI_MAX_CHECK_MS,
        });
        result.checked++;
        continue;
      }
      const renewAt = chooseInWindow(
        { start: info.windowStart, end: info.windowEnd },
        c.renew_at,
        at,
        random(),
      );
      await updateCertificate(
        deps.db,
        c.id,
        {
          ari_window_start: info.windowStart,
          ari_window_end: info.windowEnd,
          ari_explanation_url: info.explanationUrl,
          ari_checked_at: at,
          ari_failures: 0,
          ari_next_check_at: at + nextCheckAfter(info.retryAfterMs),
          renew_at: renewAt,
        },
        { status: 'issued' },
      );
      result.checked++;
      if (renewAt <= at) result.dueNow++;
    } catch (err) {
      if (!(err instanceof CaError)) throw err;
      const failures = c.ari_failures + 1;
      const delay = errorBackoff(failures, err.retryAfterMs);
      await updateCertificate(deps.db, c.id, {
        ari_failures: failures,
        ari_next_check_at: deps.clock.now() + delay,
      });
      deps.logger.warn(
        { err: err.message, kind: err.kind, certificateId: c.id, failures, retryInMs: delay },
        'renewal information request failed; backing off',
      );
      result.failed++;
    }
  }
  return result;
}
