/** Append-only audit trail of mutations, attributed to the signed-in person and the effective user. */
import type { Insertable } from 'kysely';
import type { AuditLogTable } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

export async function insertAuditLog(
  db: DbOrTrx,
  entry: Omit<Insertable<AuditLogTable>, 'id'>,
): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}
