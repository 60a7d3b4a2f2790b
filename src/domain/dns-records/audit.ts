/** The audit rows every DNS record change writes (forms, DNS UPDATE): one helper, one snapshot shape. */
import { insertAuditLog } from '../../db/repos/audit-log.js';
import type { DnsRecordRow, User } from '../../db/schema.js';

/** Who acts: the signed-in person and the user whose records are touched (differs when impersonating). */
export interface Actor {
  user: User;
  effectiveUser: User;
  requestId: string | null;
  /** The personal access token the change comes through (API, dyndns2, acme-dns, DNS UPDATE). */
  tokenId?: number | null;
}

/** The audit-row columns that say who acted, for whom, in which request and through which token. */
export const actorColumns = (actor: Actor) => ({
  actor_user_id: actor.user.id,
  actor_username: actor.user.username,
  effective_user_id: actor.effectiveUser.id,
  effective_username: actor.effectiveUser.username,
  request_id: actor.requestId,
  token_id: actor.tokenId ?? null,
});

/** A record as its audit rows show it. */
export const recordSnapshot = (
  r: Pick<DnsRecordRow, 'subdomain' | 'type' | 'value' | 'priority' | 'expires_at'>,
) =>
  JSON.stringify({
    subdomain: r.subdomain,
    type: r.type,
    value: r.value,
    priority: r.priority,
    expires_at: r.expires_at,
  });

/** Write one audit row about target `type` `id` (call in the change's transaction). */
export async function auditChange(
  db: Parameters<typeof insertAuditLog>[0],
  actor: Actor,
  target: { type: string; id: number },
  action: string,
  before: string | null,
  after: string | null,
  now: number,
): Promise<void> {
  await insertAuditLog(db, {
    ...actorColumns(actor),
    at: now,
    action,
    target_type: target.type,
    target_id: String(target.id),
    before_json: before,
    after_json: after,
  });
}

/** Write one audit row about DNS record `id` (call in the change's transaction). */
export const auditDnsRecord = (
  db: Parameters<typeof insertAuditLog>[0],
  actor: Actor,
  action: string,
  id: number,
  before: string | null,
  after: string | null,
  now: number,
): Promise<void> => auditChange(db, actor, { type: 'dns_record', id }, action, before, after, now);
