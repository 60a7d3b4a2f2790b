/**
 * Server-side sessions. The cookie carries only an opaque random token signed with SESSION_SECRET; the
 * database stores its SHA-256, the user, the CSRF token and (for admins) who is being impersonated.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { updateSessionImpersonation } from '../../db/repos/admin.js';
import { insertAuditLog } from '../../db/repos/audit-log.js';
import {
  clearImpersonationEnded,
  deleteSession,
  findSessionWithUser,
  insertSession,
  updateSession,
} from '../../db/repos/sessions.js';
import { findUserById } from '../../db/repos/users.js';
import type { ImpersonationEndReason, SessionRow, User } from '../../db/schema.js';

export interface SessionPolicy {
  secret: string;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

export interface ActiveSession {
  id: string;
  csrfToken: string;
  /** The person signed in. */
  user: User;
  /** Whose data pages act on: the impersonated user for an impersonating admin, else `user`. */
  effectiveUser: User;
  impersonating: boolean;
  /**
   * Set on the one request that finds the impersonation no longer allowed (the target became an admin,
   * was suspended or deleted, or the admin lost the role): it has ended and been audited, `effectiveUser`
   * is the admin again, and the request must not be carried out (web: a redirect that says why).
   */
  impersonationEnded: { reason: ImpersonationEndReason; userId: number | null } | null;
  row: SessionRow;
}

const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const sign = (secret: string, value: string) =>
  createHmac('sha256', secret).update(value).digest('base64url');

/**
 * The CSRF token of a session while it acts as user `effectiveUserId`: derived from the session's own
 * token, so a form rendered while acting as someone else is refused once the admin acts as themselves
 * again (or as another user) in another tab, instead of being applied to the wrong account.
 */
export const actingCsrfToken = (sessionToken: string, effectiveUserId: number): string =>
  sign(sessionToken, `acting-as:${effectiveUserId}`);

/** Sign a value for a cookie: `value.signature`. */
export function signValue(secret: string, value: string): string {
  return `${value}.${sign(secret, value)}`;
}

/** Verify a signed cookie value; returns the value or null when the signature does not match. */
export function unsignValue(secret: string, signed: string | undefined): string | null {
  if (!signed) return null;
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return null;
  const value = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  const expected = Buffer.from(sign(secret, value));
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : null;
}

export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** What the IdP said about the sign-in, kept for single logout. */
export interface IdpSessionInfo {
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
}

/** Start a new session for a user (always a new id: no fixation). Returns the signed cookie value. */
export async function createSession(
  db: Db,
  policy: SessionPolicy,
  userId: number,
  now: number,
  idp?: IdpSessionInfo,
): Promise<{ cookie: string; csrfToken: string; id: string }> {
  const token = randomToken();
  const id = hashToken(token);
  const csrfToken = randomToken(24);
  await insertSession(db, {
    id,
    user_id: userId,
    csrf_token: csrfToken,
    impersonated_user_id: null,
    created_at: now,
    last_seen_at: now,
    expires_at: now + Math.min(policy.idleTimeoutMs, policy.absoluteTimeoutMs),
    idp_name_id: idp?.nameId ?? null,
    idp_name_id_format: idp?.nameIdFormat ?? null,
    idp_session_index: idp?.sessionIndex ?? null,
  });
  return { cookie: signValue(policy.secret, token), csrfToken, id };
}

/**
 * Resolve a signed cookie to an active session, or null (bad signature, unknown, expired, suspended user).
 * Impersonation is re-checked on every request (see `impersonationEnded`). Refreshes the idle deadline at
 * most once a minute.
 */
export async function resolveSession(
  db: Db,
  policy: SessionPolicy,
  cookie: string | undefined,
  now: number,
  requestId: string | null = null,
): Promise<ActiveSession | null> {
  const token = unsignValue(policy.secret, cookie);
  if (!token) return null;
  const id = hashToken(token);
  const found = await findSessionWithUser(db, id);
  if (!found) return null;
  const { session: row, user } = found;
  if (Number(row.expires_at) <= now) {
    await deleteSession(db, id);
    return null;
  }
  if (user.suspended_at !== null) {
    await deleteSession(db, id);
    return null;
  }
  let effectiveUser = user;
  let impersonationEnded: ActiveSession['impersonationEnded'] = null;
  if (row.impersonated_user_id !== null) {
    const targetId = row.impersonated_user_id;
    const target = await findUserById(db, targetId);
    const reason: ImpersonationEndReason | null =
      user.role !== 'admin'
        ? 'not-admin'
        : !target
          ? 'target-deleted'
          : target.role === 'admin'
            ? 'target-admin'
            : target.suspended_at !== null
              ? 'target-suspended'
              : null;
    if (reason === null) effectiveUser = target!;
    else {
      await endImpersonation(db, { id, user, targetId, target, reason, now, requestId });
      impersonationEnded = { reason, userId: targetId };
    }
  } else if (row.impersonation_ended !== null) {
    // Ended by the target's deletion (the foreign key nulled the id): tell this request, once.
    await clearImpersonationEnded(db, id);
    impersonationEnded = { reason: row.impersonation_ended, userId: null };
  }
  if (now - Number(row.last_seen_at) > TOUCH_EVERY_MS) {
    const expires = Math.min(
      Number(row.created_at) + policy.absoluteTimeoutMs,
      now + policy.idleTimeoutMs,
    );
    await updateSession(db, id, { last_seen_at: now, expires_at: expires });
  }
  const impersonating = effectiveUser.id !== user.id;
  return {
    id,
    csrfToken: impersonating ? actingCsrfToken(row.csrf_token, effectiveUser.id) : row.csrf_token,
    user,
    effectiveUser,
    impersonating,
    impersonationEnded,
    row,
  };
}

/**
 * Stop an impersonation the server no longer allows, audited as a stop with the reason. Compare-and-set:
 * of concurrent requests one ends and audits it; the others are refused all the same.
 */
async function endImpersonation(
  db: Db,
  e: {
    id: string;
    user: User;
    targetId: number;
    target: User | undefined;
    reason: ImpersonationEndReason;
    now: number;
    requestId: string | null;
  },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if ((await updateSessionImpersonation(trx, e.id, e.targetId, null)) === 0) return;
    const effective = e.target ?? e.user;
    await insertAuditLog(trx, {
      at: e.now,
      actor_user_id: e.user.id,
      actor_username: e.user.username,
      effective_user_id: effective.id,
      effective_username: effective.username,
      action: 'admin.impersonate.stop',
      target_type: 'user',
      target_id: String(e.targetId),
      request_id: e.requestId,
      before_json: JSON.stringify({ impersonating: e.target?.username ?? null }),
      after_json: JSON.stringify({ ended: e.reason }),
    });
  });
}

/** End a session (logout). Idempotent. */
export async function destroySession(db: Db, id: string): Promise<void> {
  await deleteSession(db, id);
}

/** Constant-time comparison of CSRF tokens. */
export function tokensMatch(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
