import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * Shared namespaces (issue 20, decision 0026): `users.kind` ('person', or 'namespace' for the account
 * that holds a namespace's label, records and certificate), `namespaces` (what only a namespace has),
 * their members (`namespace_members`: direct grants and SSO-group memberships, one row per source) and
 * their linked groups (`namespace_groups`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;

  await db.schema
    .alterTable('users')
    .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('person'))
    .execute();

  await opts(
    db.schema
      .createTable('namespaces')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      // The account holding the label (users.dns_label), records, certificate and tokens.
      .addColumn('account_id', 'integer', (c) =>
        c.notNull().unique().references('users.id').onDelete('cascade'),
      )
      .addColumn('description', 'varchar(500)', (c) => c.notNull().defaultTo(''))
      .addColumn('record_limit', 'integer')
      .addColumn('ends_at', 'bigint')
      .addColumn('orphaned_at', 'bigint')
      .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull()),
  ).execute();

  await opts(
    db.schema
      .createTable('namespace_members')
      .addColumn('namespace_id', 'integer', (c) =>
        c.notNull().references('namespaces.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      // '' for a direct grant by an owner, else the SSO group the membership comes from.
      .addColumn('via', 'varchar(191)', (c) => c.notNull())
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('added_by', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('namespace_members_pk', ['namespace_id', 'user_id', 'via']),
  ).execute();
  await db.schema
    .createIndex('namespace_members_user_idx')
    .on('namespace_members')
    .columns(['user_id', 'namespace_id'])
    .execute();

  await opts(
    db.schema
      .createTable('namespace_groups')
      .addColumn('namespace_id', 'integer', (c) =>
        c.notNull().references('namespaces.id').onDelete('cascade'),
      )
      .addColumn('group_name', 'varchar(191)', (c) => c.notNull())
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('namespace_groups_pk', ['namespace_id', 'group_name']),
  ).execute();
  await db.schema
    .createIndex('namespace_groups_group_idx')
    .on('namespace_groups')
    .column('group_name')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('namespace_groups').execute();
  await db.schema.dropTable('namespace_members').execute();
  await db.schema.dropTable('namespaces').execute();
  await db.schema.alterTable('users').dropColumn('kind').execute();
}
