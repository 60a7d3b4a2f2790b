import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * ARI polling state (issue 18) beside the columns of 20261207173000_issuance_queue:
 * `ari_explanation_url` (the CA's explanation of its suggested window, shown to the owner) and
 * `ari_failures` (consecutive failed renewal-information requests: the exponential backoff's exponent,
 * 0 after an answer).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('certificates')
    .addColumn('ari_explanation_url', 'varchar(1000)')
    .execute();
  await db.schema
    .alterTable('certificates')
    .addColumn('ari_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('certificates').dropColumn('ari_failures').execute();
  await db.schema.alterTable('certificates').dropColumn('ari_explanation_url').execute();
}
