import type { Db } from '../client.js';

/** Delete sessions past their absolute or idle expiry. Returns how many were removed. */
export async function deleteExpiredSessions(db: Db, now: number): Promise<number> {
  const res = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(res.numDeletedRows);
}
