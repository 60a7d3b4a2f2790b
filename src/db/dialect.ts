import { type Kysely, MysqlAdapter } from 'kysely';

/** True when the Kysely instance talks to MySQL/MariaDB (migrations need a few dialect branches). */
export function isMysql(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}
