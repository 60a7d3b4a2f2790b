import type { Db } from '../client.js';
import type { Insertable } from 'kysely';
import type { SessionRow, SessionsTable } from '../schema.js';

/** Delete sessions past their absolute or idle expiry. Returns how many were removed. */
export async function deleteExpiredSessions(db: Db, now: number): Promise<number> {
  const res = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function insertSession(db: Db, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateSession(
  db: Db,
  id: string,
  set: Partial<Pick<SessionRow, 'last_seen_at' | 'expires_at' | 'impersonated_user_id'>>,
): Promise<void> {
  await db.updateTable('sessions').set(set).where('id', '=', id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function deleteSessionsOfUser(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
