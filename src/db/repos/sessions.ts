import type { Db } from '../client.js';
import { preparedQuery } from '../prepared.js';
import type { Insertable } from 'kysely';
import type { SessionRow, SessionsTable, User } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

/** Delete sessions past their absolute or idle expiry. Returns how many were removed. */
export async function deleteExpiredSessions(db: Db, now: number): Promise<number> {
  const res = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function insertSession(db: Db, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/**
 * A session and the user it belongs to, in one query (this runs on every signed-in request). Null when
 * the session is unknown; a session cannot outlive its user (sessions.user_id references users.id).
 */
const sessionWithUser = preparedQuery((db, id: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as s_id',
      'sessions.user_id as s_user_id',
      'sessions.csrf_token as s_csrf_token',
      'sessions.impersonated_user_id as s_impersonated_user_id',
      'sessions.created_at as s_created_at',
      'sessions.last_seen_at as s_last_seen_at',
      'sessions.expires_at as s_expires_at',
      'sessions.idp_name_id as s_idp_name_id',
      'sessions.idp_name_id_format as s_idp_name_id_format',
      'sessions.idp_session_index as s_idp_session_index',
      'sessions.impersonation_ended as s_impersonation_ended',
    ])
    .where('sessions.id', '=', id),
);

export async function findSessionWithUser(
  db: Db,
  id: string,
): Promise<{ session: SessionRow; user: User } | null> {
  const [r] = await sessionWithUser(db, id);
  if (!r) return null;
  const {
    s_id,
    s_user_id,
    s_csrf_token,
    s_impersonated_user_id,
    s_created_at,
    s_last_seen_at,
    s_expires_at,
    s_idp_name_id,
    s_idp_name_id_format,
    s_idp_session_index,
    s_impersonation_ended,
    ...user
  } = r;
  const session: SessionRow = {
    id: s_id,
    user_id: s_user_id,
    csrf_token: s_csrf_token,
    impersonated_user_id: s_impersonated_user_id,
    created_at: s_created_at,
    last_seen_at: s_last_seen_at,
    expires_at: s_expires_at,
    idp_name_id: s_idp_name_id,
    idp_name_id_format: s_idp_name_id_format,
    idp_session_index: s_idp_session_index,
    impersonation_ended: s_impersonation_ended,
  };
  return { session, user };
}

export async function updateSession(
  db: Db,
  id: string,
  set: Partial<Pick<SessionRow, 'last_seen_at' | 'expires_at' | 'impersonated_user_id'>>,
): Promise<void> {
  await db.updateTable('sessions').set(set).where('id', '=', id).execute();
}

/** Clear the reason once shown (compare-and-set: true for the one request that clears it). */
export async function clearImpersonationEnded(db: Db, id: string): Promise<boolean> {
  const res = await db
    .updateTable('sessions')
    .set({ impersonation_ended: null })
    .where('id', '=', id)
    .where('impersonation_ended', 'is not', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Mark the sessions impersonating a user who is about to be deleted (the foreign key then nulls the
 * id) and return whose they are, for the audit.
 */
export async function markImpersonationsOfDeletedUser(
  db: DbOrTrx,
  userId: number,
): Promise<{ id: string; user_id: number }[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'user_id'])
    .where('impersonated_user_id', '=', userId)
    .execute();
  if (rows.length > 0)
    await db
      .updateTable('sessions')
      .set({ impersonation_ended: 'target-deleted' })
      .where('impersonated_user_id', '=', userId)
      .execute();
  return rows;
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function deleteSessionsOfUser(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
