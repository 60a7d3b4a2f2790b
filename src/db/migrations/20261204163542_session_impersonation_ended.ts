import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * Why the server ended a session's impersonation (the target became an admin, was suspended or
 * deleted, or the admin lost the role), kept until the admin's next request shows it. Deleting the
 * target nulls impersonated_user_id through its foreign key, so without this the admin's next form
 * submission would silently apply to their own account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('impersonation_ended', 'varchar(32)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('impersonation_ended').execute();
}
