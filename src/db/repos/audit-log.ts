import type { Insertable } from 'kysely';
import type { Db } from '../client.js';
import type { AuditLogTable } from '../schema.js';

export async function insertAuditEntry(db: Db, row: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}
