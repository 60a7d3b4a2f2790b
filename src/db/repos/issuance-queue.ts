/**
 * Queries for the issuance queue (pending requests whose order has not been sent) and the CA's
 * rate-limit answers. The rules live in domain/certificates/queue.ts.
 */
import type { DbOrTrx } from './dns-records.js';

export interface WaitingRow {
  id: number;
  user_id: number;
  domain: string;
  order_kind: string | null;
  queue_priority: number;
  queued_at: number;
}

/** Queue order: renewals of certificates in use first, then by arrival. */
export async function findWaitingCertificates(db: DbOrTrx, limit: number): Promise<WaitingRow[]> {
  const rows = await db
    .selectFrom('certificates')
    .select(['id', 'user_id', 'domain', 'order_kind', 'queue_priority', 'queued_at', 'created_at'])
    .where('status', '=', 'pending')
    .where('order_sent_at', 'is', null)
    .orderBy('queue_priority')
    .orderBy('queued_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    user_id: r.user_id,
    domain: r.domain,
    order_kind: r.order_kind,
    queue_priority: Number(r.queue_priority),
    queued_at: Number(r.queued_at ?? r.created_at),
  }));
}

export async function countWaitingCertificates(db: DbOrTrx): Promise<number> {
  const r = await db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .where('order_sent_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Let a waiting request's order go (compare-and-set: false when it is no longer waiting). */
export async function markOrderSent(db: DbOrTrx, id: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable('certificates')
    .set({ order_sent_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('order_sent_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Put a request whose order the CA refused to create back in the queue, at its old place. */
export async function returnToQueue(db: DbOrTrx, id: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable('certificates')
    .set({ order_sent_at: null, step: 'requested', step_attempts: 0, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('step', '=', 'requested')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export interface RateLimitRow {
  id: number;
  at: number;
  retry_until: number;
  certificate_id: number | null;
  operation: string;
  detail: string;
}

export async function insertRateLimit(db: DbOrTrx, row: Omit<RateLimitRow, 'id'>): Promise<void> {
  await db.insertInto('ca_rate_limits').values(row).execute();
}

/** The latest time the CA asked us to wait until, if it is still ahead of `now`. */
export async function pausedUntil(db: DbOrTrx, now: number): Promise<number | null> {
  const r = await db
    .selectFrom('ca_rate_limits')
    .select((eb) => eb.fn.max<number | null>('retry_until').as('until'))
    .where('retry_until', '>', now)
    .executeTakeFirst();
  return r?.until != null ? Number(r.until) : null;
}

export async function recentRateLimits(db: DbOrTrx, limit: number): Promise<RateLimitRow[]> {
  const rows = await db
    .selectFrom('ca_rate_limits')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, at: Number(r.at), retry_until: Number(r.retry_until) }));
}

/** Keep the rate-limit log bounded: drop answers older than `before`. */
export async function purgeRateLimits(db: DbOrTrx, before: number): Promise<number> {
  const res = await db
    .deleteFrom('ca_rate_limits')
    .where('retry_until', '<', before)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
