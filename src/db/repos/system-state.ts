import type { Db } from '../client.js';

/** Whether the DNS reconciler has work; a missing row counts as "needed" (safe default). */
export async function findReconciliationNeeded(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('system_state')
    .select('reconciliation_needed')
    .where('id', '=', 1)
    .executeTakeFirst();
  return row === undefined ? true : Number(row.reconciliation_needed) === 1;
}

export async function updateReconciliationNeeded(
  db: Db,
  needed: boolean,
  now = Date.now(),
): Promise<void> {
  const res = await db
    .updateTable('system_state')
    .set({ reconciliation_needed: needed ? 1 : 0, updated_at: now })
    .where('id', '=', 1)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    // Row missing (should not happen after migrations): recreate it as "needed" so nothing is skipped.
    await db
      .insertInto('system_state')
      .values({ id: 1, reconciliation_needed: 1, last_wipe_at: null, updated_at: now })
      .execute()
      .catch(() => undefined);
  }
}
