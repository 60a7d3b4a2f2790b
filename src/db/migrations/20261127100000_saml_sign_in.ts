import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * SAML sign-in state every replica shares: outstanding request IDs (InResponseTo) and accepted
 * response/assertion IDs (replay), plus the IdP identifiers a session needs for single logout.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;

  await opts(
    db.schema
      .createTable('saml_requests')
      .addColumn('id', 'varchar(191)', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('saml_requests_expires_idx')
    .on('saml_requests')
    .column('expires_at')
    .execute();

  await opts(
    db.schema
      .createTable('saml_used_ids')
      .addColumn('id', 'varchar(191)', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('saml_used_ids_expires_idx')
    .on('saml_used_ids')
    .column('expires_at')
    .execute();

  await db.schema.alterTable('sessions').addColumn('idp_name_id', 'varchar(255)').execute();
  await db.schema.alterTable('sessions').addColumn('idp_name_id_format', 'varchar(255)').execute();
  await db.schema.alterTable('sessions').addColumn('idp_session_index', 'varchar(255)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('idp_session_index').execute();
  await db.schema.alterTable('sessions').dropColumn('idp_name_id_format').execute();
  await db.schema.alterTable('sessions').dropColumn('idp_name_id').execute();
  await db.schema.dropTable('saml_used_ids').ifExists().execute();
  await db.schema.dropTable('saml_requests').ifExists().execute();
}
