import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * A short log of which names each DNS change touched, so every replica's built-in DNS server can
 * reload just those names instead of the whole zone. One row per (serial, label, name), written in the
 * change's transaction; `name` is the owner name's first label under the user's label (a record's
 * subdomain, or `_acme-challenge`) and NULL means everything under the label. Old rows are pruned;
 * `dns_changes_pruned_serial` says up to which serial, so a server that fell behind that reloads whole.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;
  await opts(
    db.schema
      .createTable('dns_zone_changes')
      .addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement())
      .addColumn('serial', 'bigint', (c) => c.notNull())
      .addColumn('label', 'varchar(63)', (c) => c.notNull())
      .addColumn('name', 'varchar(63)')
      .addColumn('created_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('dns_zone_changes_serial_idx')
    .on('dns_zone_changes')
    .column('serial')
    .execute();
  await db.schema
    .alterTable('system_state')
    .addColumn('dns_changes_pruned_serial', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('system_state').dropColumn('dns_changes_pruned_serial').execute();
  await db.schema.dropTable('dns_zone_changes').ifExists().execute();
}
