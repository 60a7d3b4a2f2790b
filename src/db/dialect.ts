import { type Kysely, MysqlAdapter } from 'kysely';

/** True when the Kysely instance talks to MySQL/MariaDB (migrations need a few dialect branches). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: only the adapter is read
export function isMysql(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}
