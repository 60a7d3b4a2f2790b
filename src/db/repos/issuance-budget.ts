/**
 * Rows of the issuance budget: one per token bucket (domain/certificates/budget.ts holds the rules).
 */
import { isMysql } from '../dialect.js';
import type { Db } from '../client.js';

export interface BudgetRow {
  key: string;
  level: number;
  refilledAt: number;
}

const toRow = (r: { bucket_key: string; level: number; refilled_at: number }): BudgetRow => ({
  key: r.bucket_key,
  level: Number(r.level),
  refilledAt: Number(r.refilled_at),
});

/**
 * Create the missing buckets, full, in their own statement (before the taking transaction): two
 * InnoDB transactions inserting the same new key can deadlock, two plain `insert ignore`s cannot.
 */
export async function insertMissingBuckets(
  db: Db,
  buckets: { key: string; level: number }[],
  now: number,
): Promise<void> {
  if (buckets.length === 0) return;
  await db
    .insertInto('issuance_budget')
    .values(
      buckets.map((b) => ({
        bucket_key: b.key,
        level: b.level,
        refilled_at: now,
        updated_at: now,
      })),
    )
    .orIgnore()
    .execute();
}

/**
 * The buckets with these keys, locked for the rest of the transaction on MySQL (`for update`, taken in
 * key order so two orders never deadlock); SQLite transactions already hold the write lock from BEGIN.
 */
export async function findBucketsForUpdate(trx: Db, keys: string[]): Promise<BudgetRow[]> {
  if (keys.length === 0) return [];
  let q = trx
    .selectFrom('issuance_budget')
    .select(['bucket_key', 'level', 'refilled_at'])
    .where('bucket_key', 'in', keys)
    .orderBy('bucket_key');
  if (isMysql(trx)) q = q.forUpdate();
  return (await q.execute()).map(toRow);
}

/** The buckets with these keys as stored (no lock): for estimates. */
export async function findBuckets(db: Db, keys: string[]): Promise<BudgetRow[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .selectFrom('issuance_budget')
    .select(['bucket_key', 'level', 'refilled_at'])
    .where('bucket_key', 'in', keys)
    .execute();
  return rows.map(toRow);
}

export async function updateBucket(trx: Db, row: BudgetRow, now: number): Promise<void> {
  await trx
    .updateTable('issuance_budget')
    .set({ level: row.level, refilled_at: row.refilledAt, updated_at: now })
    .where('bucket_key', '=', row.key)
    .execute();
}
