/**
 * Certificate use-cases for the web edge and the renewal scan: request (or renew inside the window),
 * look at the owner's certificate, download one of its parts, delete (revoke at the CA first).
 * Everything acts on the effective user; another user's rows are never visible.
 */
import { isDuplicateKey } from '../../db/dialect.js';
import { insertAuditLog } from '../../db/repos/audit-log.js';
import { findUserById } from '../../db/repos/users.js';
import {
  findCertificatesDueForRenewal,
  findCertificatesForUser,
  findInflightCertificate,
  insertCertificate,
  updateCertificate,
  updateCertificateDownload,
} from '../../db/repos/certificates.js';
import type { CertificateRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { CaError } from '../../ports/certificate-authority.js';
import type { Actor } from '../dns-records/dns-records.js';
import type { OrderKind } from './budget.js';
import type { CertificateDeps } from './issuance.js';
import { requestDispatch } from './queue.js';
import {
  PrivateKeyUnavailable,
  canOpenPrivateKey,
  keyRingOf,
  openPrivateKey,
  sealedKeyId,
} from './key-box.js';
import { fallbackPoint, fallbackRenewAt, spreadOf } from './renewal-timing.js';

export const PARTS = ['certificate', 'privateKey', 'chain', 'fullChain'] as const;
export type CertificatePart = (typeof PARTS)[number];
export const isPart = (p: string): p is CertificatePart => (PARTS as readonly string[]).includes(p);

export const FILE_SUFFIX: Record<CertificatePart, string> = {
  certificate: 'certificate.pem',
  privateKey: 'privkey.pem',
  chain: 'chain.pem',
  fullChain: 'bundle.pem',
};

/** Which certificate a download means: the one in use, or the one it replaced (until it expires). */
export type Which = 'current' | 'previous';
export const isWhich = (w: string): w is Which => w === 'current' || w === 'previous';

export interface CertificateOverview {
  domain: string;
  /** The certificate in use (issued), if any; stays shown while a renewal is pending or failed. */
  current: CertificateRow | null;
  /**
   * The certificate the current one renewed, while it is still valid: it keeps working wherever it is
   * installed, and stays downloadable (key included) until its `valid_to`.
   */
  previous: CertificateRow | null;
  /** The previous certificate's private key can be decrypted (false when there is none). */
  previousKeyAvailable: boolean;
  /** When the automatic renewal of the current certificate starts (ARI or the spread fallback). */
  renewAt: number | null;
  /** The CA's suggested renewal window (ARI), when it gave one for the current certificate. */
  ariWindow: { start: number; end: number; explanationUrl: string | null } | null;
  /** The newest request when it is pending, or failed after the current certificate. */
  request: CertificateRow | null;
  /** A new certificate may be requested now: inside the renewal window, or the key is unavailable. */
  renewable: boolean;
  /** When the renewal window opens for the current certificate. */
  renewFrom: number | null;
  /**
   * False when the current certificate's private key cannot be decrypted with the server's keys (the
   * secret changed without SESSION_SECRET_PREVIOUS): shown as such, and a new certificate may be
   * requested at once.
   */
  keyAvailable: boolean;
}

/** What the owner is told when their certificate's stored private key cannot be decrypted. */
export const KEY_UNAVAILABLE_MESSAGE =
  "This certificate's private key cannot be read any more: the server's encryption secret was changed without keeping the old one. Request a new certificate to get a new key; the current certificate keeps working wherever it is installed. Administrators can restore the key by adding the previous SESSION_SECRET as the SESSION_SECRET_PREVIOUS secret and running the keys:rotate command (see the deployment guide).";

export const domainFor = (user: Pick<User, 'dns_label'>, root: string) =>
  `${user.dns_label}.${root}`;

/**
 * When an issued certificate renews automatically: its stored `renew_at` (spread fallback, or chosen in
 * the CA's ARI window); for rows issued before renewal times were stored, the spread fallback with a
 * fixed random number from the id (the same answer at every scan).
 */
export function renewAtOf(c: CertificateRow, fraction: number): number {
  if (c.renew_at !== null) return c.renew_at;
  return fallbackRenewAt(c.valid_from ?? c.created_at, c.valid_to!, fraction, spreadOf(c.id));
}

/**
 * From when the owner may renew by hand: the unspread fallback point, or earlier when the automatic
 * renewal is earlier (the spread band, or an ARI window the CA moved forward, e.g. before a revocation).
 */
const renewWindowStart = (c: CertificateRow, fraction: number) =>
  Math.min(
    fallbackPoint(c.valid_from ?? c.created_at, c.valid_to!, fraction),
    renewAtOf(c, fraction),
  );

const canOpen = (config: CertificateDeps['config'], c: CertificateRow | null) =>
  !c?.private_key_enc || canOpenPrivateKey(keyRingOf(config), c.id, c.private_key_enc);

/** The owner's current certificate and latest request. Never throws for a valid user. */
export async function getCertificateOverview(
  deps: Pick<CertificateDeps, 'db' | 'config' | 'clock'> & { logger?: CertificateDeps['logger'] },
  owner: User,
): Promise<CertificateOverview> {
  const rows = await findCertificatesForUser(deps.db, owner.id);
  const current = rows.find((r) => r.status === 'issued') ?? null;
  const newest = rows[0] ?? null;
  const request =
    newest &&
    (newest.status === 'pending' ||
      (newest.status === 'failed' && (!current || newest.id > current.id)))
      ? newest
      : null;
  const now = deps.clock.now();
  // Only the certificate the current one renewed: after a delete (revoked) and a fresh request,
  // nothing older comes back.
  const previous = current?.renewal_of
    ? (rows.find(
        (r) =>
          r.id === current.renewal_of &&
          r.status === 'superseded' &&
          r.valid_to !== null &&
          r.valid_to > now,
      ) ?? null)
    : null;
  const fraction = deps.config.certificates.renewAtRemainingFraction;
  const renewFrom = current ? renewWindowStart(current, fraction) : null;
  const keyAvailable = canOpen(deps.config, current);
  if (!keyAvailable && current)
    deps.logger?.warn(
      { certificateId: current.id, keyId: sealedKeyId(current.private_key_enc!) },
      'stored private key cannot be decrypted with SESSION_SECRET or SESSION_SECRET_PREVIOUS',
    );
  return {
    domain: domainFor(owner, deps.config.rootDomain),
    current,
    previous,
    previousKeyAvailable:
      previous !== null && !!previous.private_key_enc && canOpen(deps.config, previous),
    renewAt: current ? renewAtOf(current, fraction) : null,
    ariWindow:
      current?.ari_window_start != null && current.ari_window_end != null
        ? {
            start: current.ari_window_start,
            end: current.ari_window_end,
            explanationUrl: current.ari_explanation_url,
          }
        : null,
    request,
    renewable: current !== null && renewFrom !== null && (now >= renewFrom || !keyAvailable),
    renewFrom,
    keyAvailable,
  };
}

/**
 * Request a certificate for the owner, or a renewal when the current one is inside the renewal
 * window. Concurrent requests collapse into the one in flight (returned). Throws CONFLICT when the
 * current certificate is not yet renewable.
 */
export async function requestCertificate(
  deps: CertificateDeps,
  actor: Actor | null,
  owner: User,
  opts: { automatic?: boolean } = {},
): Promise<{ certificate: CertificateRow; created: boolean }> {
  const existing = await findInflightCertificate(deps.db, owner.id);
  if (existing) return { certificate: existing, created: false };
  const overview = await getCertificateOverview(deps, owner);
  if (overview.current && !overview.renewable)
    throw new AppError(
      'CONFLICT',
      `Your certificate is still valid for a long time. You can renew it from ${new Date(overview.renewFrom!).toUTCString()}.`,
    );
  const plan = await planOrder(deps, owner, overview);
  const now = deps.clock.now();
  let id: number;
  try {
    id = await deps.db.transaction().execute(async (trx) => {
      const newId = await insertCertificate(trx, {
        user_id: owner.id,
        domain: overview.domain,
        status: 'pending',
        step: 'requested',
        inflight_user_id: owner.id,
        renewal_of: overview.current?.id ?? null,
        step_started_at: now,
        created_at: now,
        updated_at: now,
        queued_at: now,
        queue_priority: plan.priority,
        order_kind: plan.kind,
        replaces: plan.replaces,
        profile: deps.config.acme.profile ?? null,
      });
      await insertAuditLog(trx, {
        at: now,
        actor_user_id: actor?.user.id ?? null,
        actor_username: actor?.user.username ?? null,
        effective_user_id: owner.id,
        effective_username: owner.username,
        action: overview.current
          ? opts.automatic
            ? 'certificate.renew.auto'
            : 'certificate.renew'
          : 'certificate.request',
        target_type: 'certificate',
        target_id: String(newId),
        request_id: actor?.requestId ?? null,
        before_json: overview.current ? JSON.stringify({ renews: overview.current.id }) : null,
        after_json: JSON.stringify({ domain: overview.domain }),
      });
      return newId;
    });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const inflight = await findInflightCertificate(deps.db, owner.id);
    if (inflight) return { certificate: inflight, created: false };
    throw e;
  }
  await requestDispatch(deps, 0, id);
  const rows = await findCertificatesForUser(deps.db, owner.id, 1);
  return { certificate: rows[0]!, created: true };
}

/** How long repeated downloads through the same channel are recorded only once. */
const DOWNLOAD_QUIET_MS = 3_600_000;

/**
 * How the new order counts against the CA's limits, and its place in the queue. Renewing the
 * certificate in use goes first; with ARI it names the certificate it replaces (exempt from every
 * limit at Let's Encrypt); the same names as any certificate issued before are a renewal (exempt from
 * the new-order and registered-domain limits); anything else is new.
 */
async function planOrder(
  deps: CertificateDeps,
  owner: User,
  overview: CertificateOverview,
): Promise<{ kind: OrderKind; replaces: string | null; priority: number }> {
  const current = overview.current;
  if (current && current.domain === overview.domain) {
    if (current.ari_cert_id && (await offersRenewalInfo(deps)))
      return { kind: 'ari-renewal', replaces: current.ari_cert_id, priority: 0 };
    return { kind: 'renewal', replaces: null, priority: 0 };
  }
  const rows = await findCertificatesForUser(deps.db, owner.id);
  const issuedBefore = rows.some((r) => r.domain === overview.domain && r.valid_from !== null);
  return { kind: issuedBefore ? 'renewal' : 'new', replaces: null, priority: current ? 0 : 1 };
}

/** Whether the CA serves renewal information; a CA we cannot ask now is treated as not offering it. */
async function offersRenewalInfo(deps: CertificateDeps): Promise<boolean> {
  try {
    return (await deps.ca.directoryInfo()).renewalInfo;
  } catch (err) {
    deps.logger.warn({ err }, 'could not read the CA directory; renewing without ARI');
    return false;
  }
}

/**
 * One part of the owner's current certificate (or, with `which: 'previous'`, of the one it replaced,
 * while still valid). With `via`, the download is recorded on that certificate (the renewal email
 * tells people who install by hand what to do). 404 none, 409 not issued yet or the private key cannot
 * be decrypted (KEY_UNAVAILABLE_MESSAGE) or is no longer stored, 400 unknown part.
 */
export async function getCertificatePart(
  deps: Pick<CertificateDeps, 'db' | 'config' | 'clock'>,
  owner: User,
  part: string,
  opts: { which?: Which; via?: 'page' | 'api' } = {},
): Promise<{ body: string; filename: string }> {
  if (!isPart(part)) throw new AppError('INVALID_INPUT', `Unknown certificate part "${part}".`);
  const overview = await getCertificateOverview(deps, owner);
  const c = opts.which === 'previous' ? overview.previous : overview.current;
  if (!c) {
    if (opts.which === 'previous')
      throw new AppError(
        'NOT_FOUND',
        'There is no previous certificate that is still valid. Download the current one.',
      );
    if (overview.request?.status === 'pending')
      throw new AppError(
        'CONFLICT',
        'Sorry, your certificate is not issued yet. Please try again later.',
      );
    throw new AppError('NOT_FOUND', 'Sorry, we could not find your certificate.');
  }
  if (part === 'privateKey' && !c.private_key_enc)
    throw new AppError(
      'CONFLICT',
      'The private key of this certificate is no longer stored. Download the current certificate.',
    );
  const body =
    part === 'certificate'
      ? c.certificate!
      : part === 'chain'
        ? c.chain!
        : part === 'fullChain'
          ? `${c.certificate!}${c.chain!}`
          : openKey(deps.config, c);
  if (opts.via) await recordCertificateDownload(deps, c.id, opts.via);
  return { body, filename: `${c.domain}.${FILE_SUFFIX[part]}` };
}

/**
 * Record that certificate `id`'s files were fetched (`page` by hand, `api` by a token, including an
 * If-None-Match answered 304: the automation has them). At most one write per channel and hour.
 */
export async function recordCertificateDownload(
  deps: Pick<CertificateDeps, 'db' | 'clock'>,
  id: number,
  via: 'page' | 'api',
): Promise<void> {
  await updateCertificateDownload(deps.db, id, via, deps.clock.now(), DOWNLOAD_QUIET_MS);
}

function openKey(config: CertificateDeps['config'], c: CertificateRow): string {
  try {
    return openPrivateKey(keyRingOf(config), c.id, c.private_key_enc!);
  } catch (err) {
    if (err instanceof PrivateKeyUnavailable)
      throw new AppError('CONFLICT', KEY_UNAVAILABLE_MESSAGE);
    throw err;
  }
}

/**
 * Delete the owner's current certificate: revoke it at the CA, then mark it revoked and drop its key.
 * NOT_FOUND without one; CONFLICT while a request is pending; UPSTREAM_UNAVAILABLE when the CA cannot
 * be reached (nothing changes then).
 */
export async function deleteCertificate(
  deps: CertificateDeps,
  actor: Actor,
  owner: User,
): Promise<void> {
  const overview = await getCertificateOverview(deps, owner);
  if (overview.request?.status === 'pending')
    throw new AppError(
      'CONFLICT',
      'A certificate request is in progress; try again when it has finished.',
    );
  const c = overview.current;
  if (!c) throw new AppError('NOT_FOUND', 'Sorry, we could not find your certificate.');
  let revokeNote: string | null = null;
  try {
    await deps.ca.revokeCertificate(c.certificate!);
  } catch (err) {
    if (err instanceof CaError && err.kind === 'rejected') revokeNote = err.message;
    else
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        'The certificate authority could not be reached to revoke your certificate. Please try again later.',
      );
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await updateCertificate(
      trx,
      c.id,
      { status: 'revoked', revoked_at: now, private_key_enc: null, updated_at: now },
      { status: 'issued' },
    );
    await insertAuditLog(trx, {
      at: now,
      actor_user_id: actor.user.id,
      actor_username: actor.user.username,
      effective_user_id: owner.id,
      effective_username: owner.username,
      action: 'certificate.revoke',
      target_type: 'certificate',
      target_id: String(c.id),
      request_id: actor.requestId,
      before_json: JSON.stringify({ status: 'issued', valid_to: c.valid_to }),
      after_json: JSON.stringify({ status: 'revoked', note: revokeNote }),
    });
  });
}

/**
 * Start renewals for issued certificates whose renewal time has come (`renew_at`, or the spread
 * fallback for rows without one; owner not suspended, nothing in flight, no attempt in the last 12
 * hours). Returns the number started.
 */
export async function startDueRenewals(deps: CertificateDeps): Promise<number> {
  const now = deps.clock.now();
  const fraction = deps.config.certificates.renewAtRemainingFraction;
  const limit = 500;
  const candidates = await findCertificatesDueForRenewal(deps.db, now, 12 * 3_600_000, limit * 4);
  const due = candidates.filter((c) => renewAtOf(c, fraction) <= now).slice(0, limit);
  let started = 0;
  for (const c of due) {
    const owner = await findUserById(deps.db, c.user_id);
    if (!owner) continue;
    try {
      const r = await requestCertificate(deps, null, owner, { automatic: true });
      if (r.created) started++;
    } catch (err) {
      deps.logger.warn({ err, certificateId: c.id }, 'could not start a renewal');
    }
  }
  return started;
}
