import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * DNS synchronisation state: a zone serial bumped by every DNS change (also the embedded server's SOA
 * serial), per-record sync bookkeeping, dirty/owned user labels for the reconciler, and a lease so
 * only one replica reconciles a zone at a time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;

  await db.schema
    .alterTable('system_state')
    .addColumn('dns_serial', 'bigint', (c) => c.notNull().defaultTo(1))
    .execute();

  for (const col of [
    ['change_id', 'varchar(64)'],
    ['status_at', 'bigint'],
  ] as const) {
    await db.schema.alterTable('dns_records').addColumn(col[0], col[1]).execute();
  }
  for (const [name, type, dflt] of [
    ['status', 'varchar(16)', 'pending'],
    ['status_message', 'text', null],
    ['change_id', 'varchar(64)', null],
    ['status_at', 'bigint', null],
  ] as const) {
    await db.schema
      .alterTable('acme_challenges')
      .addColumn(name, type, (c) => (dflt ? c.notNull().defaultTo(dflt) : c))
      .execute();
  }
  await db.schema
    .createIndex('dns_records_status_idx')
    .on('dns_records')
    .columns(['status', 'change_id'])
    .execute();

  await opts(
    db.schema
      .createTable('dns_labels')
      .addColumn('label', 'varchar(63)', (c) => c.primaryKey())
      // Serial of the latest unreconciled change under this label; null when clean.
      .addColumn('dirty_serial', 'bigint')
      // Set once anything was published under the label: the reconciler owns its names from then on.
      .addColumn('published_at', 'bigint'),
  ).execute();
  await db.schema
    .createIndex('dns_labels_dirty_idx')
    .on('dns_labels')
    .column('dirty_serial')
    .execute();

  await opts(
    db.schema
      .createTable('dns_reconcile_leases')
      .addColumn('zone', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('holder', 'varchar(128)', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
  ).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dns_reconcile_leases').ifExists().execute();
  await db.schema.dropTable('dns_labels').ifExists().execute();
  await db.schema.dropIndex('dns_records_status_idx').on('dns_records').ifExists().execute();
  for (const c of ['status_at', 'change_id', 'status_message', 'status'])
    await db.schema.alterTable('acme_challenges').dropColumn(c).execute();
  for (const c of ['status_at', 'change_id'])
    await db.schema.alterTable('dns_records').dropColumn(c).execute();
  await db.schema.alterTable('system_state').dropColumn('dns_serial').execute();
}
