/** Queries for dns_records (rules live in domain/dns-records). */
import { type Transaction, sql } from 'kysely';
import type { Db } from '../client.js';
import type { Database, DnsRecordRow, DnsRecordsTable } from '../schema.js';
import type { Insertable, Updateable } from 'kysely';
import { isMysql } from '../dialect.js';
import { preparedQuery } from '../prepared.js';

export type DbOrTrx = Db | Transaction<Database>;

/** Status of those of `ids` that belong to the user (others are left out). */
export async function findDnsRecordStatuses(
  db: DbOrTrx,
  userId: number,
  ids: readonly number[],
): Promise<Pick<DnsRecordRow, 'id' | 'status' | 'status_message'>[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('dns_records')
    .select(['id', 'status', 'status_message'])
    .where('user_id', '=', userId)
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
}

export async function findDnsRecordForUser(
  db: DbOrTrx,
  userId: number,
  id: number,
): Promise<DnsRecordRow | undefined> {
  return db
    .selectFrom('dns_records')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** The columns the records table shows (fewer columns: each one is materialised for every row). */
export const DNS_RECORD_LIST_COLUMNS = [
  'id',
  'subdomain',
  'type',
  'value',
  'priority',
  'ports',
  'course',
  'description',
  'expires_at',
  'status',
  'status_message',
] as const;
export type DnsRecordListItem = Pick<DnsRecordRow, (typeof DNS_RECORD_LIST_COLUMNS)[number]>;

/**
 * The records page query, compiled once per (offset, limit) pair. LIMIT and OFFSET go in as literals:
 * SQLite's planner reads bound LIMIT/OFFSET values, so a statement with them as parameters is marked
 * expired on every bind and re-prepared on every run (about a quarter of this query's time, on the
 * query every records page runs). Pages are few (offset is a multiple of the page size), so the
 * cache stays small; it is capped anyway.
 */
const pageQueries = new Map<
  string,
  (db: DbOrTrx, userId: number) => Promise<DnsRecordListItem[]>
>();
const MAX_PAGE_QUERIES = 200;

function dnsRecordsPage(offset: number, limit: number) {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`bad page window: offset ${offset}, limit ${limit}`);
  const key = `${offset}:${limit}`;
  let query = pageQueries.get(key);
  if (!query) {
    if (pageQueries.size >= MAX_PAGE_QUERIES) pageQueries.delete(pageQueries.keys().next().value!);
    query = preparedQuery((db, userId: number) => {
      const q = db
        .selectFrom('dns_records')
        .select(DNS_RECORD_LIST_COLUMNS)
        .where('user_id', '=', userId)
        .orderBy('subdomain')
        .orderBy('type')
        .orderBy('id')
        .limit(sql.lit(limit));
      return offset > 0 ? q.offset(sql.lit(offset)) : q;
    });
    pageQueries.set(key, query);
  }
  return query;
}

/**
 * One page of the user's records in list order (the records page: every load runs it): name, type,
 * then creation order. That is the order of dns_records_user_idx (user_id, subdomain, type) with the
 * row id every index entry ends in (InnoDB's primary key, SQLite's rowid), so a page is read in index
 * order and stops after offset + limit rows; ordering ties by `value` (a TEXT column MariaDB cannot
 * put in that index) made both databases sort all of a 5,000-record user's rows for every page.
 */
export function findDnsRecordsPage(
  db: DbOrTrx,
  userId: number,
  offset: number,
  limit: number,
): Promise<DnsRecordListItem[]> {
  return dnsRecordsPage(offset, limit)(db, userId);
}

export interface RecordFilter {
  /** A LIKE pattern (escape character `!`) matched against the lowercased name and value. */
  pattern: string | null;
  type: DnsRecordRow['type'] | null;
  sort: 'name' | 'type' | 'expiry';
}

const ORDERS: Record<RecordFilter['sort'], readonly ('subdomain' | 'type' | 'expires_at')[]> = {
  // Then `id`, as the unfiltered list (findDnsRecordsPage): a search shows its matches in list order.
  name: ['subdomain', 'type'],
  type: ['type', 'subdomain'],
  expiry: ['expires_at', 'subdomain', 'type'],
};

function filtered(db: DbOrTrx, userId: number, f: RecordFilter) {
  let q = db.selectFrom('dns_records').where('user_id', '=', userId);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.pattern !== null) {
    const p = f.pattern;
    q = q.where((eb) =>
      eb.or([
        eb(sql`lower(subdomain)`, 'like', sql`${p} escape '!'`),
        eb(sql`lower(value)`, 'like', sql`${p} escape '!'`),
      ]),
    );
  }
  return q;
}

/** One page of the user's records matching a search/type filter, in the chosen order. */
export function findDnsRecordsFiltered(
  db: DbOrTrx,
  userId: number,
  f: RecordFilter,
  offset: number,
  limit: number,
): Promise<DnsRecordListItem[]> {
  let q = filtered(db, userId, f).select(DNS_RECORD_LIST_COLUMNS);
  for (const column of ORDERS[f.sort]) q = q.orderBy(column);
  return q.orderBy('id').limit(limit).offset(offset).execute();
}

export async function countDnsRecordsFiltered(
  db: DbOrTrx,
  userId: number,
  f: RecordFilter,
): Promise<number> {
  const row = await filtered(db, userId, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// Prepared (compiled once): the create path runs these on every request.
const recordCount = preparedQuery((db, userId: number) =>
  db
    .selectFrom('dns_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId),
);
const recordsAtName = preparedQuery((db, userId: number, subdomain: string) =>
  db
    .selectFrom('dns_records')
    .select(['id', 'subdomain', 'type', 'value', 'priority'])
    .where('user_id', '=', userId)
    .where('subdomain', '=', subdomain),
);
const blockedLabel = preparedQuery((db, label: string) =>
  db.selectFrom('blocked_labels').select('label').where('label', '=', label),
);

export async function countDnsRecords(db: DbOrTrx, userId: number): Promise<number> {
  const [row] = await recordCount(db, userId);
  return Number(row?.n ?? 0);
}

export function findDnsRecordsAtName(
  db: DbOrTrx,
  userId: number,
  subdomain: string,
): Promise<Pick<DnsRecordRow, 'id' | 'subdomain' | 'type' | 'value' | 'priority'>[]> {
  return recordsAtName(db, userId, subdomain);
}

/** Every record of the user, whole rows (DNS UPDATE evaluates a change set against them; the limit bounds them). */
export function findDnsRecordsOfUser(db: DbOrTrx, userId: number): Promise<DnsRecordRow[]> {
  return db
    .selectFrom('dns_records')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

export async function insertDnsRecord(
  db: DbOrTrx,
  values: Insertable<DnsRecordsTable>,
): Promise<number> {
  const res = await db.insertInto('dns_records').values(values).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

export async function updateDnsRecord(
  db: DbOrTrx,
  userId: number,
  id: number,
  values: Updateable<DnsRecordsTable>,
): Promise<number> {
  const res = await db
    .updateTable('dns_records')
    .set(values)
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function deleteDnsRecord(db: DbOrTrx, userId: number, id: number): Promise<number> {
  const res = await db
    .deleteFrom('dns_records')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

/**
 * Take the per-user write lock for the rest of the transaction, so concurrent creates for one user run
 * one after another. MySQL: a no-op UPDATE of the user's row, whose row lock lasts until commit. SQLite:
 * nothing to do, every transaction already holds the database write lock from BEGIN IMMEDIATE
 * (src/db/client.ts); an UPDATE there would only write the user's page to the WAL again.
 */
export async function lockUserRow(trx: Transaction<Database>, userId: number): Promise<void> {
  if (!isMysql(trx)) return;
  await trx
    .updateTable('users')
    .set({ updated_at: sql<number>`updated_at` })
    .where('id', '=', userId)
    .execute();
}

export async function findBlockedLabel(db: DbOrTrx, label: string): Promise<boolean> {
  return (await blockedLabel(db, label)).length > 0;
}

const recordsAtNameWithExpiry = preparedQuery((db, userId: number, subdomain: string) =>
  db
    .selectFrom('dns_records')
    .select(['id', 'subdomain', 'type', 'value', 'priority', 'expires_at'])
    .where('user_id', '=', userId)
    .where('subdomain', '=', subdomain),
);

/** The user's records at one name with their expiry (dyndns2 compares and renews them on every poll). */
export function findDnsRecordsAtNameWithExpiry(
  db: DbOrTrx,
  userId: number,
  subdomain: string,
): Promise<
  Pick<DnsRecordRow, 'id' | 'subdomain' | 'type' | 'value' | 'priority' | 'expires_at'>[]
> {
  return recordsAtNameWithExpiry(db, userId, subdomain);
}
