/**
 * Who performs an admin action, and the audit row every admin action writes (inside its transaction).
 * The admin is always the REAL signed-in user (never the impersonated one).
 */
import { insertAuditLog } from '../../db/repos/audit-log.js';
import type { DbOrTrx } from '../../db/repos/dns-records.js';
import type { User } from '../../db/schema.js';
import { AppError } from '../../errors.js';

export interface AdminActor {
  /** The signed-in person (must be an admin). */
  user: User;
  requestId: string | null;
}

/** Throws NOT_FOUND (admin features are not discoverable) unless the actor is an admin. */
export function assertAdmin(actor: AdminActor): void {
  if (actor.user.role !== 'admin') throw new AppError('NOT_FOUND', 'Not found.');
}

/** One audit row for an admin action: actor = the admin, effective user = whom it concerns. */
export async function auditAdminAction(
  db: DbOrTrx,
  actor: AdminActor,
  entry: {
    action: string;
    effective: Pick<User, 'id' | 'username'> | null;
    targetType: string;
    targetId: string;
    before: unknown;
    after: unknown;
    now: number;
  },
): Promise<void> {
  const effective = entry.effective ?? actor.user;
  await insertAuditLog(db, {
    at: entry.now,
    actor_user_id: actor.user.id,
    actor_username: actor.user.username,
    effective_user_id: effective.id,
    effective_username: effective.username,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    request_id: actor.requestId,
    before_json: entry.before === null ? null : JSON.stringify(entry.before),
    after_json: entry.after === null ? null : JSON.stringify(entry.after),
  });
}
