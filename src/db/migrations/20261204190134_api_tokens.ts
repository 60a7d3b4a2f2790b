import { type Kysely, sql } from 'kysely';
import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

/**
 * Personal access tokens (issue 17) and ACME challenge values written by users' own clients.
 *
 * `api_tokens`: one row per token; the bearer secret is stored only as a SHA-256 hash, the TSIG key
 * (which the server needs in clear to check an HMAC) sealed with the key ring. Scopes are JSON.
 *
 * `acme_challenges` now also holds values written by a user's own ACME client through a token: such a
 * row has no certificate, names its owner (`user_id`, filled in for every existing row too), the
 * token that wrote it and when it expires. SQLite cannot relax a NOT NULL column, so there the table
 * is rebuilt (nothing references it).
 *
 * `dns_zone_changes.name` widens to hold `_acme-challenge.{subdomain}`; `audit_log.token_id` says which
 * token made a change.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  const opts = (t: any) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;

  await opts(
    db.schema
      .createTable('api_tokens')
      .addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement())
      .addColumn('user_id', 'integer', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('public_id', 'varchar(16)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('tsig_secret_enc', 'varchar(255)', (c) => c.notNull())
      .addColumn('permissions', 'varchar(255)', (c) => c.notNull())
      .addColumn('names', 'text')
      .addColumn('types', 'varchar(255)')
      .addColumn('subnets', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_by_user_id', 'integer')
      .addColumn('last_used_at', 'bigint')
      .addColumn('last_used_ip', 'varchar(45)'),
  ).execute();
  await db.schema
    .createIndex('api_tokens_user_idx')
    .on('api_tokens')
    .columns(['user_id', 'created_at'])
    .execute();

  if (mysql) {
    await sql`alter table acme_challenges
      add column user_id integer null,
      add column token_id integer null,
      add column expires_at bigint null`.execute(db);
    await sql`update acme_challenges a join certificates c on c.id = a.certificate_id
      set a.user_id = c.user_id`.execute(db);
    await sql`delete from acme_challenges where user_id is null`.execute(db);
    await sql`alter table acme_challenges
      modify certificate_id integer null,
      modify user_id integer not null,
      add constraint acme_challenges_user_fk foreign key (user_id) references users (id) on delete cascade,
      add constraint acme_challenges_token_fk foreign key (token_id) references api_tokens (id) on delete set null`.execute(
      db,
    );
    await sql`alter table dns_zone_changes modify name varchar(127) null`.execute(db);
  } else {
    await sql`create table acme_challenges_new (
      id integer primary key autoincrement,
      certificate_id integer references certificates (id) on delete cascade,
      user_id integer not null references users (id) on delete cascade,
      token_id integer references api_tokens (id) on delete set null,
      name varchar(255) not null,
      value varchar(255) not null,
      created_at bigint not null,
      expires_at bigint,
      status varchar(16) not null default 'pending',
      status_message text,
      change_id varchar(255),
      status_at bigint
    )`.execute(db);
    await sql`insert into acme_challenges_new
      (id, certificate_id, user_id, token_id, name, value, created_at, expires_at, status, status_message, change_id, status_at)
      select a.id, a.certificate_id, c.user_id, null, a.name, a.value, a.created_at, null, a.status, a.status_message, a.change_id, a.status_at
      from acme_challenges a join certificates c on c.id = a.certificate_id`.execute(db);
    await sql`drop table acme_challenges`.execute(db);
    await sql`alter table acme_challenges_new rename to acme_challenges`.execute(db);
    await db.schema
      .createIndex('acme_challenges_name_idx')
      .on('acme_challenges')
      .column('name')
      .execute();
    await db.schema
      .createIndex('acme_challenges_certificate_idx')
      .on('acme_challenges')
      .column('certificate_id')
      .execute();
  }
  await db.schema
    .createIndex('acme_challenges_user_idx')
    .on('acme_challenges')
    .columns(['user_id', 'name'])
    .execute();
  await db.schema
    .createIndex('acme_challenges_expires_idx')
    .on('acme_challenges')
    .column('expires_at')
    .execute();

  await db.schema.alterTable('audit_log').addColumn('token_id', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  await db.schema.alterTable('audit_log').dropColumn('token_id').execute();
  await db.schema.dropIndex('acme_challenges_expires_idx').on('acme_challenges').execute();
  await db.schema.dropIndex('acme_challenges_user_idx').on('acme_challenges').execute();
  // Client-written values have no certificate: they go.
  await sql`delete from acme_challenges where certificate_id is null`.execute(db);
  if (mysql) {
    await sql`alter table acme_challenges
      drop foreign key acme_challenges_token_fk,
      drop foreign key acme_challenges_user_fk`.execute(db);
    await sql`alter table acme_challenges
      drop column token_id, drop column user_id, drop column expires_at,
      modify certificate_id integer not null`.execute(db);
    await sql`alter table dns_zone_changes modify name varchar(63) null`.execute(db);
  } else {
    await sql`create table acme_challenges_old (
      id integer primary key autoincrement,
      certificate_id integer not null references certificates (id) on delete cascade,
      name varchar(255) not null,
      value varchar(255) not null,
      created_at bigint not null,
      status varchar(16) not null default 'pending',
      status_message text,
      change_id varchar(255),
      status_at bigint
    )`.execute(db);
    await sql`insert into acme_challenges_old
      (id, certificate_id, name, value, created_at, status, status_message, change_id, status_at)
      select id, certificate_id, name, value, created_at, status, status_message, change_id, status_at
      from acme_challenges`.execute(db);
    await sql`drop table acme_challenges`.execute(db);
    await sql`alter table acme_challenges_old rename to acme_challenges`.execute(db);
    await db.schema
      .createIndex('acme_challenges_name_idx')
      .on('acme_challenges')
      .column('name')
      .execute();
    await db.schema
      .createIndex('acme_challenges_certificate_idx')
      .on('acme_challenges')
      .column('certificate_id')
      .execute();
  }
  await db.schema.dropTable('api_tokens').ifExists().execute();
}
