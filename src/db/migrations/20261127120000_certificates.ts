import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * Certificate issuance bookkeeping: `inflight_user_id` equals user_id while a request is pending and is
 * NULL otherwise; its unique index makes "one request in flight per user" a database guarantee
 * (concurrent requests collapse into one). `renewal_of` links a renewal to the certificate it replaces;
 * `step_attempts` counts tries of the current step (backoff and giving up), `step_started_at` bounds
 * waiting; `lease_until` lets exactly one worker advance a certificate at a time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type] of [
    ['inflight_user_id', 'integer'],
    ['renewal_of', 'integer'],
    ['step_attempts', 'integer'],
    ['step_started_at', 'bigint'],
    ['revoked_at', 'bigint'],
    ['lease_until', 'bigint'],
  ] as const) {
    await db.schema
      .alterTable('certificates')
      .addColumn(name, type, (c) => (name === 'step_attempts' ? c.notNull().defaultTo(0) : c))
      .execute();
  }
  await db.schema
    .createIndex('certificates_inflight_uq')
    .on('certificates')
    .column('inflight_user_id')
    .unique()
    .execute();
  await db.schema
    .createIndex('certificates_order_url_idx')
    .on('certificates')
    .column('order_url')
    .execute();
  await db.schema
    .createIndex('certificates_status_valid_to_idx')
    .on('certificates')
    .columns(['status', 'valid_to'])
    .execute();
  await db.schema
    .createIndex('acme_challenges_certificate_idx')
    .on('acme_challenges')
    .column('certificate_id')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('acme_challenges_certificate_idx').on('acme_challenges').execute();
  await db.schema.dropIndex('certificates_status_valid_to_idx').on('certificates').execute();
  await db.schema.dropIndex('certificates_order_url_idx').on('certificates').execute();
  await db.schema.dropIndex('certificates_inflight_uq').on('certificates').execute();
  for (const c of [
    'lease_until',
    'revoked_at',
    'step_started_at',
    'step_attempts',
    'renewal_of',
    'inflight_user_id',
  ])
    await db.schema.alterTable('certificates').dropColumn(c).execute();
}
