/**
 * Admin use-cases on users: search, the per-user overview, suspend/unsuspend, delete, and
 * impersonation (stored in the server-side session row only). Destructive actions never target the
 * acting admin; DNS changes are marked in the same transaction and pushed after commit.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import {
  deleteCertificatesOfUser,
  deleteSessionsOfUserTrx,
  deleteUserRow,
  findAllDnsRecordsOfUser,
  findAuditPage,
  findCertificatesOfUser,
  findUsersPage,
  updateDnsRecordsStatusOfUser,
  updateSessionImpersonation,
  updateUserSuspendedAt,
  type UserSearchRow,
} from '../../db/repos/admin.js';
import { markImpersonationsOfDeletedUser } from '../../db/repos/sessions.js';
import { findUserById } from '../../db/repos/users.js';
import type { CertificateRow, DnsRecordRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import type { CertificateAuthority } from '../../ports/certificate-authority.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { markDnsChanged, requestReconcile } from '../reconciler/request.js';
import { type AdminActor, assertAdmin, auditAdminAction } from './admin-actor.js';
import { type AuditEntry, describeAuditTargets } from './audit-log.js';
import { flagOwnerlessNamespaces } from '../namespaces/namespaces.js';

export interface AdminDeps {
  db: Db;
  config: Pick<Config, 'rootDomain' | 'dns'>;
  clock: Clock;
  queue: JobQueue;
  logger?: Logger;
  /** Revokes a deleted user's certificates; absent in tests that do not exercise certificates. */
  ca?: Pick<CertificateAuthority, 'revokeCertificate'>;
}

export const SEARCH_MIN = 3;
export const SEARCH_MAX = 100;
export const SEARCH_PAGE_SIZE = 20;
export const WITHDRAWN_MESSAGE = 'Withdrawn from DNS while the account is suspended.';

const notFound = () => new AppError('NOT_FOUND', 'Sorry, we could not find that user.');

/** Parse a user id from a URL; anything that is not a positive integer is NOT_FOUND. */
export function parseUserId(raw: string | undefined): number {
  if (!raw || !/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > 2_147_483_647)
    throw notFound();
  return Number(raw);
}

export interface UserSearchResult {
  query: string;
  /**
   * What the list is: 'search' = users matching the query; 'recent' = every user, most recent
   * sign-in first (the dashboard's default, and what a too-short query shows).
   */
  mode: 'search' | 'recent';
  /** Why no search ran ('short' = a query of 1 to SEARCH_MIN - 1 characters). */
  skipped: 'short' | null;
  users: UserSearchRow[];
  total: number;
  page: number;
  pages: number;
}

/**
 * Users whose username, display name or email contains the text (case-insensitive), a page at a time.
 * Without a query of at least SEARCH_MIN characters the most recently signed-in users are listed
 * instead (skipped = 'short' when some shorter text was typed). Throws INVALID_INPUT when too long.
 */
export async function searchUsers(
  deps: Pick<AdminDeps, 'db'>,
  actor: AdminActor,
  rawQuery: string,
  page = 1,
): Promise<UserSearchResult> {
  assertAdmin(actor);
  const query = rawQuery.trim();
  if (query.length > SEARCH_MAX)
    throw new AppError('INVALID_INPUT', `Search with at most ${SEARCH_MAX} characters.`, {
      q: `Use at most ${SEARCH_MAX} characters.`,
    });
  const text = query.length < SEARCH_MIN ? null : query;
  const wanted = Math.max(1, Math.floor(page) || 1);
  let res = await findUsersPage(deps.db, text, (wanted - 1) * SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(res.total / SEARCH_PAGE_SIZE));
  const p = Math.min(wanted, pages);
  if (p !== wanted)
    res = await findUsersPage(deps.db, text, (p - 1) * SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE);
  return {
    query,
    mode: text === null ? 'recent' : 'search',
    skipped: text === null && query !== '' ? 'short' : null,
    users: res.rows,
    total: res.total,
    page: p,
    pages,
  };
}

export interface UserDetail {
  user: User;
  baseDomain: string;
  records: DnsRecordRow[];
  certificates: CertificateRow[];
  history: AuditEntry[];
  historyTotal: number;
}

/** Everything the admin page for one user shows. Throws NOT_FOUND. */
export async function getUserDetail(
  deps: Pick<AdminDeps, 'db' | 'config'>,
  actor: AdminActor,
  userId: number,
): Promise<UserDetail> {
  assertAdmin(actor);
  const user = await findUserById(deps.db, userId);
  if (!user) throw notFound();
  const [records, certificates, history] = await Promise.all([
    findAllDnsRecordsOfUser(deps.db, user.id),
    findCertificatesOfUser(deps.db, user.id),
    findAuditPage(deps.db, { userId: user.id }, 0, 20),
  ]);
  return {
    user,
    baseDomain: `${user.dns_label}.${deps.config.rootDomain}`,
    records,
    certificates,
    history: await describeAuditTargets(deps, history.rows),
    historyTotal: history.total,
  };
}

/** The user an admin may act on destructively: exists and is not the admin. Throws NOT_FOUND, CONFLICT. */
async function targetOtherThanSelf(
  db: Db,
  actor: AdminActor,
  userId: number,
  verb: string,
): Promise<User> {
  assertAdmin(actor);
  const target = await findUserById(db, userId);
  if (!target) throw notFound();
  if (target.id === actor.user.id)
    throw new AppError('CONFLICT', `You cannot ${verb} your own account.`);
  return target;
}

/** Options of actions that can target another admin. */
export interface AgainstAdmin {
  /** The admin confirmed a second time that the target is an admin (required when it is). */
  adminConfirmed?: boolean;
}

/** Refuse an action on an admin that was not confirmed twice (CONFLICT); the audit action for it. */
function actionOn(target: User, verb: 'suspend' | 'delete', opts: AgainstAdmin): string {
  if (target.role !== 'admin') return `admin.user.${verb}`;
  if (!opts.adminConfirmed)
    throw new AppError(
      'CONFLICT',
      `${target.username} is an admin: to ${verb} an admin, confirm a second time.`,
    );
  return `admin.user.${verb}-admin`;
}

/**
 * Suspend a user: they cannot sign in, their sessions end and their records (and certificate
 * challenges) are withdrawn from DNS. Another admin only with `adminConfirmed`, audited as
 * `admin.user.suspend-admin`. Throws NOT_FOUND, CONFLICT (self, already suspended, admin unconfirmed).
 */
export async function suspendUser(
  deps: AdminDeps,
  actor: AdminActor,
  userId: number,
  reason: string | null,
  opts: AgainstAdmin = {},
): Promise<User> {
  const target = await targetOtherThanSelf(deps.db, actor, userId, 'suspend');
  const now = deps.clock.now();
  const updated = await deps.db.transaction().execute(async (trx) => {
    const current = await findUserById(trx, target.id);
    if (!current) throw notFound();
    const action = actionOn(current, 'suspend', opts);
    if ((await updateUserSuspendedAt(trx, current.id, now, now)) === 0)
      throw new AppError('CONFLICT', `${current.username} is already suspended.`);
    await deleteSessionsOfUserTrx(trx, current.id);
    await updateDnsRecordsStatusOfUser(trx, current.id, {
      status: 'pending',
      status_message: WITHDRAWN_MESSAGE,
      status_at: now,
    });
    await markDnsChanged(trx, [current.dns_label], now);
    await auditAdminAction(trx, actor, {
      action,
      effective: current,
      targetType: 'user',
      targetId: String(current.id),
      before: { suspended_at: null },
      after: {
        suspended_at: now,
        reason,
        ...(current.role === 'admin' ? { target_role: 'admin', confirmed_twice: true } : {}),
      },
      now,
    });
    return { ...current, suspended_at: now, updated_at: now };
  });
  await requestReconcile(deps);
  return updated;
}

/** Lift a suspension: the user can sign in again and their records return to DNS. Throws NOT_FOUND, CONFLICT. */
export async function unsuspendUser(
  deps: AdminDeps,
  actor: AdminActor,
  userId: number,
): Promise<User> {
  const target = await targetOtherThanSelf(deps.db, actor, userId, 'unsuspend');
  const now = deps.clock.now();
  const updated = await deps.db.transaction().execute(async (trx) => {
    const current = await findUserById(trx, target.id);
    if (!current) throw notFound();
    if ((await updateUserSuspendedAt(trx, current.id, null, now)) === 0)
      throw new AppError('CONFLICT', `${current.username} is not suspended.`);
    // The built-in server answers from the database: committed records are live at once.
    await updateDnsRecordsStatusOfUser(trx, current.id, {
      status: deps.config.dns.provider === 'embedded' ? 'live' : 'pending',
      status_message: null,
      status_at: now,
    });
    await markDnsChanged(trx, [current.dns_label], now);
    await auditAdminAction(trx, actor, {
      action: 'admin.user.unsuspend',
      effective: current,
      targetType: 'user',
      targetId: String(current.id),
      before: { suspended_at: current.suspended_at },
      after: { suspended_at: null },
      now,
    });
    return { ...current, suspended_at: null, updated_at: now };
  });
  await requestReconcile(deps);
  return updated;
}

/**
 * Delete a user: their DNS names are withdrawn (the label stays owned by the reconciler until it has
 * removed them), their issued certificates are revoked at the CA and deleted, the user row goes (records and sessions cascade) and
 * the audit trail stays. Another admin only with `adminConfirmed`, audited as `admin.user.delete-admin`.
 * Throws NOT_FOUND, CONFLICT (self, admin unconfirmed).
 */
export async function deleteUser(
  deps: AdminDeps,
  actor: AdminActor,
  userId: number,
  opts: AgainstAdmin = {},
): Promise<User> {
  const target = await targetOtherThanSelf(deps.db, actor, userId, 'delete');
  actionOn(target, 'delete', opts); // before anything is revoked
  // Revoke issued certificates first (best effort: a CA outage must not keep an abusive account alive;
  // the outcome of each revocation goes into the audit row).
  const revocations: Record<number, string> = {};
  if (deps.ca) {
    for (const c of await findCertificatesOfUser(deps.db, target.id)) {
      if (c.status !== 'issued' || !c.certificate) continue;
      try {
        await deps.ca.revokeCertificate(c.certificate);
        revocations[c.id] = 'revoked';
      } catch (err) {
        revocations[c.id] = `not revoked: ${err instanceof Error ? err.message : String(err)}`;
        deps.logger?.warn(
          { err, certificateId: c.id },
          "could not revoke a deleted user's certificate",
        );
      }
    }
  }
  const now = deps.clock.now();
  const deleted = await deps.db.transaction().execute(async (trx) => {
    const current = await findUserById(trx, target.id);
    if (!current) throw notFound();
    const action = actionOn(current, 'delete', opts);
    const records = await findAllDnsRecordsOfUser(trx, current.id);
    const certificates = await findCertificatesOfUser(trx, current.id);
    await markDnsChanged(trx, [current.dns_label], now);
    // Admins impersonating them: their next request says why it ended instead of acting as themselves.
    for (const s of await markImpersonationsOfDeletedUser(trx, current.id)) {
      const admin = await findUserById(trx, s.user_id);
      if (admin)
        await auditAdminAction(
          trx,
          { user: admin, requestId: actor.requestId },
          {
            action: 'admin.impersonate.stop',
            effective: current,
            targetType: 'user',
            targetId: String(current.id),
            before: { impersonating: current.username },
            after: { ended: 'target-deleted' },
            now,
          },
        );
    }
    await deleteCertificatesOfUser(trx, current.id);
    await deleteUserRow(trx, current.id);
    // Their namespace memberships went with them: a namespace left without an owner is flagged for admins.
    await flagOwnerlessNamespaces(trx, now);
    await auditAdminAction(trx, actor, {
      action,
      effective: current,
      targetType: 'user',
      targetId: String(current.id),
      before: {
        user: {
          username: current.username,
          dns_label: current.dns_label,
          display_name: current.display_name,
          email: current.email,
          role: current.role,
          suspended_at: current.suspended_at,
        },
        records: records.map((r) => ({
          id: r.id,
          subdomain: r.subdomain,
          type: r.type,
          value: r.value,
          priority: r.priority,
        })),
        certificates: certificates.map((c) => ({
          id: c.id,
          domain: c.domain,
          status: c.status,
          valid_to: c.valid_to,
          revocation: revocations[c.id] ?? null,
        })),
      },
      after: current.role === 'admin' ? { target_role: 'admin', confirmed_twice: true } : null,
      now,
    });
    return current;
  });
  await requestReconcile(deps);
  return deleted;
}

/** The session being changed: its id and whom it currently impersonates. */
export interface SessionRef {
  id: string;
  impersonatedUserId: number | null;
}

/**
 * Make this admin session act as another user (server-side session row only; nothing the browser
 * holds changes). Throws NOT_FOUND, CONFLICT (self, suspended), FORBIDDEN (the target is an admin).
 * The same conditions are checked again on every request of the session (resolveSession).
 */
export async function startImpersonation(
  deps: Pick<AdminDeps, 'db' | 'clock'>,
  actor: AdminActor,
  session: SessionRef,
  userId: number,
): Promise<User> {
  assertAdmin(actor);
  const target = await findUserById(deps.db, userId);
  if (!target) throw notFound();
  if (target.id === actor.user.id)
    throw new AppError('CONFLICT', 'You cannot impersonate yourself.');
  if (target.role === 'admin')
    throw new AppError('FORBIDDEN', 'Admins cannot impersonate other admins.');
  if (target.suspended_at !== null)
    throw new AppError(
      'CONFLICT',
      `${target.username} is suspended: unsuspend them first, or edit their records from their admin page.`,
    );
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (session.impersonatedUserId === target.id) return;
    const changed = await updateSessionImpersonation(
      trx,
      session.id,
      session.impersonatedUserId,
      target.id,
    );
    // A concurrent request changed the session first: it did (and audited) the switch.
    if (changed === 0) return;
    if (session.impersonatedUserId !== null)
      await stopInTrx(trx, actor, session.impersonatedUserId, now);
    await auditAdminAction(trx, actor, {
      action: 'admin.impersonate.start',
      effective: target,
      targetType: 'user',
      targetId: String(target.id),
      before: null,
      after: { impersonating: target.username },
      now,
    });
  });
  return target;
}

async function stopInTrx(
  trx: Parameters<typeof auditAdminAction>[0],
  actor: AdminActor,
  impersonatedUserId: number,
  now: number,
) {
  const was = await findUserById(trx, impersonatedUserId);
  await auditAdminAction(trx, actor, {
    action: 'admin.impersonate.stop',
    effective: was ?? null,
    targetType: 'user',
    targetId: String(impersonatedUserId),
    before: { impersonating: was?.username ?? null },
    after: null,
    now,
  });
}

/** End impersonation for this session; a no-op (nothing audited) when it was not impersonating. */
export async function stopImpersonation(
  deps: Pick<AdminDeps, 'db' | 'clock'>,
  actor: AdminActor,
  session: SessionRef,
): Promise<void> {
  assertAdmin(actor);
  const previous = session.impersonatedUserId;
  if (previous === null) return;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    // Compare-and-set: a double submit stops (and audits) once.
    if ((await updateSessionImpersonation(trx, session.id, previous, null)) === 0) return;
    await stopInTrx(trx, actor, previous, now);
  });
}
