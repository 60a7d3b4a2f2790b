import type { Db } from '../client.js';
import type { DbOrTrx } from './dns-records.js';
import type { NewUser, User, UserUpdate } from '../schema.js';

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function findUserById(db: DbOrTrx, id: number): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByDnsLabel(db: Db, label: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('dns_label', '=', label).executeTakeFirst();
}

/** Insert a user and return the stored row. Throws on a duplicate username or DNS label. */
export async function insertUser(db: DbOrTrx, values: NewUser): Promise<User> {
  const res = await db.insertInto('users').values(values).executeTakeFirstOrThrow();
  const id = Number(res.insertId);
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function updateUser(db: Db, id: number, set: UserUpdate): Promise<User> {
  await db.updateTable('users').set(set).where('id', '=', id).execute();
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** What the landing page shows: how many DNS records the user has and whether a certificate exists. */
export async function getUserOverview(
  db: Db,
  userId: number,
): Promise<{ dnsRecordCount: number; hasCertificate: boolean }> {
  const records = await db
    .selectFrom('dns_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const cert = await db
    .selectFrom('certificates')
    .select('id')
    .where('user_id', '=', userId)
    .limit(1)
    .executeTakeFirst();
  return { dnsRecordCount: Number(records?.n ?? 0), hasCertificate: cert !== undefined };
}
