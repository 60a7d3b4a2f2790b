import type { Db } from '../client.js';
import type { OutboxRow } from '../schema.js';

export async function insertOutboxEmail(
  db: Db,
  row: Pick<
    OutboxRow,
    | 'message_id'
    | 'dedupe_key'
    | 'to_address'
    | 'subject'
    | 'text_body'
    | 'html_body'
    | 'next_attempt_at'
    | 'created_at'
  >,
): Promise<number | null> {
  if (row.dedupe_key !== null) {
    const existing = await db
      .selectFrom('email_outbox')
      .select('id')
      .where('dedupe_key', '=', row.dedupe_key)
      .executeTakeFirst();
    if (existing) return null;
  }
  const res = await db.insertInto('email_outbox').values(row).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

export async function findOutboxEmail(db: Db, id: number): Promise<OutboxRow | undefined> {
  return db.selectFrom('email_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Claim a due message for sending: one conditional UPDATE, so of several workers exactly one wins.
 * A row stuck in `sending` (its worker died mid-send) becomes claimable again after its lease.
 */
export async function claimOutboxEmail(
  db: Db,
  id: number,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  const res = await db
    .updateTable('email_outbox')
    .set((eb) => ({
      status: 'sending',
      attempts: eb('attempts', '+', 1),
      next_attempt_at: now + leaseMs,
    }))
    .where('id', '=', id)
    .where('next_attempt_at', '<=', now)
    .where('status', 'in', ['pending', 'sending'])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function updateOutboxEmail(
  db: Db,
  id: number,
  set: Partial<Pick<OutboxRow, 'status' | 'last_error' | 'next_attempt_at' | 'sent_at'>>,
): Promise<void> {
  await db.updateTable('email_outbox').set(set).where('id', '=', id).execute();
}

/** Ids of messages due for (re)delivery: pending and due, or sending with an expired lease. */
export async function findDueOutboxIds(db: Db, now: number, limit = 500): Promise<number[]> {
  const rows = await db
    .selectFrom('email_outbox')
    .select('id')
    .where('status', 'in', ['pending', 'sending'])
    .where('next_attempt_at', '<=', now)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.id));
}

export async function findRecentOutbox(db: Db, limit: number, offset = 0): Promise<OutboxRow[]> {
  return db
    .selectFrom('email_outbox')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}
