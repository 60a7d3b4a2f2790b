import type { Db } from '../client.js';

/** Remember a request ID this SP sent (AuthnRequest or LogoutRequest). */
export async function insertSamlRequest(
  db: Db,
  row: { id: string; created_at: number; expires_at: number },
): Promise<void> {
  await db.insertInto('saml_requests').values(row).execute();
}

export async function findSamlRequest(
  db: Db,
  id: string,
  now: number,
): Promise<{ id: string; created_at: number } | undefined> {
  const row = await db
    .selectFrom('saml_requests')
    .select(['id', 'created_at'])
    .where('id', '=', id)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? { id: row.id, created_at: Number(row.created_at) } : undefined;
}

export async function deleteSamlRequest(db: Db, id: string): Promise<number> {
  const res = await db.deleteFrom('saml_requests').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/**
 * Record a response/assertion ID as used. Returns false when it was already recorded (a replay); the
 * primary key makes this atomic across replicas.
 */
export async function insertUsedSamlId(db: Db, id: string, expiresAt: number): Promise<boolean> {
  const res = await db
    .insertInto('saml_used_ids')
    .orIgnore()
    .values({ id, expires_at: expiresAt })
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Delete expired request and used-ID rows. Returns how many were removed. */
export async function deleteExpiredSamlState(db: Db, now: number): Promise<number> {
  const a = await db.deleteFrom('saml_requests').where('expires_at', '<=', now).executeTakeFirst();
  const b = await db.deleteFrom('saml_used_ids').where('expires_at', '<=', now).executeTakeFirst();
  return Number(a.numDeletedRows) + Number(b.numDeletedRows);
}
