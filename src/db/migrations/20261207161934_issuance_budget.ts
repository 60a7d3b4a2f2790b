import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * The issuance budget (issue 18): one row per token bucket, e.g. `orders:account`,
 * `domain:example.edu`, `set:{sha256 of the names}`, `authz:{identifier}`. `level` is the whole tokens
 * left at `refilled_at` (epoch ms); it may be negative when orders were booked ahead of the refill.
 * Rows are locked one by one in key order while an order takes from them (see domain/certificates/budget.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;
  await opts(
    db.schema
      .createTable('issuance_budget')
      .addColumn('bucket_key', 'varchar(320)', (c) => c.primaryKey())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('refilled_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull()),
  ).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('issuance_budget').ifExists().execute();
}
