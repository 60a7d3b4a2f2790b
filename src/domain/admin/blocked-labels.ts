/**
 * Subdomain labels nobody may use for new or edited records (the record rules read this table).
 * Records that already use a label stay until edited or deleted.
 */
import type { Db } from '../../db/client.js';
import { deleteBlockedLabel, findBlockedLabels, insertBlockedLabel } from '../../db/repos/admin.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import { type AdminActor, assertAdmin, auditAdminAction } from './admin-actor.js';

const LABEL = /^[a-z0-9_-]{1,63}$/;
const REASON_MAX = 255;

/** Every blocked label, alphabetically. */
export async function listBlockedLabels(deps: { db: Db }, actor: AdminActor) {
  assertAdmin(actor);
  return findBlockedLabels(deps.db);
}

/** Normalise and check a label; throws INVALID_INPUT with a field error. */
export function parseLabel(raw: unknown): string {
  const label = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!LABEL.test(label))
    throw new AppError('INVALID_INPUT', 'Please correct the highlighted fields.', {
      label: 'Enter one label of 1–63 characters: lowercase letters, digits, - or _.',
    });
  return label;
}

/** Block a label for new and edited records. Throws INVALID_INPUT, CONFLICT (already blocked). */
export async function blockLabel(
  deps: { db: Db; clock: Clock },
  actor: AdminActor,
  rawLabel: unknown,
  rawReason: unknown,
): Promise<string> {
  assertAdmin(actor);
  const label = parseLabel(rawLabel);
  const reason = typeof rawReason === 'string' && rawReason.trim() ? rawReason.trim() : null;
  if (reason && reason.length > REASON_MAX)
    throw new AppError('INVALID_INPUT', 'Please correct the highlighted fields.', {
      reason: `Use at most ${REASON_MAX} characters.`,
    });
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await insertBlockedLabel(trx, label, reason, now)))
      throw new AppError('CONFLICT', `“${label}” is already blocked.`, {
        label: 'This label is already blocked.',
      });
    await auditAdminAction(trx, actor, {
      action: 'admin.label.block',
      effective: null,
      targetType: 'blocked_label',
      targetId: label,
      before: null,
      after: { label, reason },
      now,
    });
  });
  return label;
}

/** Allow a label again. Throws NOT_FOUND when it was not blocked. */
export async function unblockLabel(
  deps: { db: Db; clock: Clock },
  actor: AdminActor,
  rawLabel: unknown,
): Promise<string> {
  assertAdmin(actor);
  const label = typeof rawLabel === 'string' ? rawLabel.trim().toLowerCase() : '';
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const removed = await deleteBlockedLabel(trx, label);
    if (!removed) throw new AppError('NOT_FOUND', 'That label is not blocked.');
    await auditAdminAction(trx, actor, {
      action: 'admin.label.unblock',
      effective: null,
      targetType: 'blocked_label',
      targetId: label,
      before: removed,
      after: null,
      now,
    });
  });
  return label;
}
