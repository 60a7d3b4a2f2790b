import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const id = (c: any) => c.primaryKey().autoIncrement();
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;

  await opts(
    db.schema
      .createTable('users')
      .addColumn('id', 'integer', id)
      .addColumn('username', 'varchar(191)', (c) => c.notNull().unique())
      .addColumn('dns_label', 'varchar(63)', (c) => c.notNull().unique())
      .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('email', 'varchar(255)', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('suspended_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('last_login_at', 'bigint'),
  ).execute();
  await db.schema.createIndex('users_email_idx').on('users').column('email').execute();

  await opts(
    db.schema
      .createTable('dns_records')
      .addColumn('id', 'integer', id)
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('subdomain', 'varchar(63)', (c) => c.notNull())
      .addColumn('type', 'varchar(8)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer')
      .addColumn('ports', 'varchar(255)')
      .addColumn('course', 'varchar(255)')
      .addColumn('description', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('reminders_sent', 'varchar(255)', (c) => c.notNull().defaultTo('[]'))
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
      .addColumn('status_message', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('dns_records_user_idx')
    .on('dns_records')
    .columns(['user_id', 'subdomain', 'type'])
    .execute();
  await db.schema
    .createIndex('dns_records_expires_idx')
    .on('dns_records')
    .column('expires_at')
    .execute();

  await opts(
    db.schema
      .createTable('certificates')
      .addColumn('id', 'integer', id)
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('domain', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
      .addColumn('step', 'varchar(32)', (c) => c.notNull().defaultTo('requested'))
      .addColumn('order_url', 'varchar(512)')
      .addColumn('private_key_enc', 'text')
      .addColumn('certificate', 'text')
      .addColumn('chain', 'text')
      .addColumn('valid_from', 'bigint')
      .addColumn('valid_to', 'bigint')
      .addColumn('error', 'text')
      .addColumn('reminders_sent', 'varchar(255)', (c) => c.notNull().defaultTo('[]'))
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('certificates_user_idx')
    .on('certificates')
    .columns(['user_id', 'status'])
    .execute();

  await opts(
    db.schema
      .createTable('acme_challenges')
      .addColumn('id', 'integer', id)
      .addColumn('certificate_id', 'integer', (c) =>
        c.notNull().references('certificates.id').onDelete('cascade'),
      )
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('acme_challenges_name_idx')
    .on('acme_challenges')
    .column('name')
    .execute();

  await opts(
    db.schema
      .createTable('system_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('reconciliation_needed', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('last_wipe_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addCheckConstraint('system_state_single_row', sql`id = 1`),
  ).execute();
  await db
    .insertInto('system_state')
    .values({ id: 1, reconciliation_needed: 1, last_wipe_at: null, updated_at: Date.now() })
    .execute();

  await opts(
    db.schema
      .createTable('sessions')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
      .addColumn('impersonated_user_id', 'integer', (c) =>
        c.references('users.id').onDelete('set null'),
      )
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await opts(
    db.schema
      .createTable('audit_log')
      .addColumn('id', 'integer', id)
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor_user_id', 'integer')
      .addColumn('actor_username', 'varchar(191)')
      .addColumn('effective_user_id', 'integer')
      .addColumn('effective_username', 'varchar(191)')
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('target_type', 'varchar(32)')
      .addColumn('target_id', 'varchar(64)')
      .addColumn('request_id', 'varchar(64)')
      .addColumn('before_json', 'text')
      .addColumn('after_json', 'text'),
  ).execute();
  await db.schema
    .createIndex('audit_log_effective_idx')
    .on('audit_log')
    .columns(['effective_user_id', 'at'])
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();

  await opts(
    db.schema
      .createTable('email_outbox')
      .addColumn('id', 'integer', id)
      .addColumn('message_id', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('dedupe_key', 'varchar(191)', (c) => c.unique())
      .addColumn('to_address', 'varchar(255)', (c) => c.notNull())
      .addColumn('subject', 'varchar(255)', (c) => c.notNull())
      .addColumn('text_body', 'text', (c) => c.notNull())
      .addColumn('html_body', 'text')
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint'),
  ).execute();
  await db.schema
    .createIndex('email_outbox_status_idx')
    .on('email_outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();

  await opts(
    db.schema
      .createTable('blocked_labels')
      .addColumn('label', 'varchar(63)', (c) => c.primaryKey())
      .addColumn('reason', 'varchar(255)')
      .addColumn('created_at', 'bigint', (c) => c.notNull()),
  ).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'blocked_labels',
    'email_outbox',
    'audit_log',
    'sessions',
    'system_state',
    'acme_challenges',
    'certificates',
    'dns_records',
    'users',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
