import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * The issuance queue, renewal timing and ACME profiles (issue 18).
 *
 * `certificates` gains:
 * - queue: `queued_at` (when the request joined the issuance queue: its place), `order_sent_at` (when
 *   the budget let its order go to the CA; null while it waits), `queue_priority` (0 = a renewal of a
 *   certificate in use, served first; 1 = everything else), `order_kind` (`new` | `renewal` |
 *   `ari-renewal`: which budget buckets the order draws from);
 * - ARI: `replaces` (the RFC 9773 certificate id the new order replaces), `ari_cert_id` (this
 *   certificate's own id), `ari_window_start/end` (the CA's suggested renewal window),
 *   `ari_next_check_at` (when to ask again), `ari_checked_at`;
 * - `renew_at`: when the renewal starts (random inside the ARI window, or the spread fallback point);
 * - `profile`: the ACME profile the order asked for;
 * - `downloaded_at` / `downloaded_via`: the last time the files left the service, and how (`page` for a
 *   person downloading by hand, `api` for a token), which decides what the renewal email says.
 *
 * `ca_rate_limits` records every `rateLimited` answer from the CA: the whole queue waits until the
 * latest `retry_until`, and admins see the recent ones.
 *
 * Existing pending requests that have not sent an order yet join the queue in creation order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;
  const add = (name: string, type: any, build?: (c: any) => any) =>
    db.schema
      .alterTable('certificates')
      .addColumn(name, type, build ?? ((c: any) => c))
      .execute();
  await add('queued_at', 'bigint');
  await add('queue_priority', 'integer', (c) => c.notNull().defaultTo(1));
  await add('order_kind', 'varchar(16)');
  await add('order_sent_at', 'bigint');
  await add('replaces', 'varchar(255)');
  await add('ari_cert_id', 'varchar(255)');
  await add('ari_window_start', 'bigint');
  await add('ari_window_end', 'bigint');
  await add('ari_checked_at', 'bigint');
  await add('ari_next_check_at', 'bigint');
  await add('renew_at', 'bigint');
  await add('profile', 'varchar(64)');
  await add('downloaded_at', 'bigint');
  await add('downloaded_via', 'varchar(8)');
  await db.schema
    .createIndex('certificates_queue')
    .on('certificates')
    .columns(['status', 'order_sent_at', 'queue_priority', 'queued_at'])
    .execute();
  await db.schema
    .createIndex('certificates_renew_at')
    .on('certificates')
    .columns(['status', 'renew_at'])
    .execute();
  await db.schema
    .createIndex('certificates_ari_check')
    .on('certificates')
    .columns(['status', 'ari_next_check_at'])
    .execute();

  await db
    .updateTable('certificates')
    .set({
      queued_at: sql`created_at`,
      queue_priority: sql`case when renewal_of is null then 1 else 0 end`,
    })
    .where('status', '=', 'pending')
    .where('step', '=', 'requested')
    .execute();
  await db
    .updateTable('certificates')
    .set({ order_sent_at: sql`created_at` })
    .where((eb: any) => eb.or([eb('status', '<>', 'pending'), eb('step', '<>', 'requested')]))
    .execute();

  await opts(
    db.schema
      .createTable('ca_rate_limits')
      .addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('retry_until', 'bigint', (c) => c.notNull())
      .addColumn('certificate_id', 'integer')
      .addColumn('operation', 'varchar(32)', (c) => c.notNull())
      .addColumn('detail', 'varchar(1000)', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('ca_rate_limits_retry')
    .on('ca_rate_limits')
    .column('retry_until')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ca_rate_limits').ifExists().execute();
  for (const i of ['certificates_queue', 'certificates_renew_at', 'certificates_ari_check'])
    await db.schema.dropIndex(i).on('certificates').ifExists().execute();
  for (const c of [
    'queued_at',
    'queue_priority',
    'order_kind',
    'order_sent_at',
    'replaces',
    'ari_cert_id',
    'ari_window_start',
    'ari_window_end',
    'ari_checked_at',
    'ari_next_check_at',
    'renew_at',
    'profile',
    'downloaded_at',
    'downloaded_via',
  ])
    await db.schema.alterTable('certificates').dropColumn(c).execute();
}
