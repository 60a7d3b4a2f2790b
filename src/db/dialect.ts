import { type Kysely, MysqlAdapter } from 'kysely';

/** True when the Kysely instance talks to MySQL/MariaDB (migrations need a few dialect branches). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: only the adapter is read
export function isMysql(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}

/**
 * True for InnoDB's "Deadlock found when trying to get lock" (ER_LOCK_DEADLOCK, 1213): the server has
 * rolled the whole transaction back, and running it again is the documented remedy. Concurrent
 * transactions of different users can deadlock on the gap locks of a shared secondary index.
 */
export function isDeadlock(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213;
}

/** True for a unique-key violation on either dialect (MySQL ER_DUP_ENTRY, SQLite UNIQUE constraint). */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return (
    e?.code === 'ER_DUP_ENTRY' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint failed|Duplicate entry/i.test(e?.message ?? '')
  );
}
