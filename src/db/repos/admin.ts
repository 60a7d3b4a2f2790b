/** Queries behind the admin pages: metrics, user search, a user's data, blocked labels, the audit log. */
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Db } from '../client.js';
import type { AuditRow, CertificateRow, DnsRecordRow, User } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

export interface CountBy {
  key: string;
  n: number;
}

export async function countUsers(db: Db): Promise<{ total: number; suspended: number }> {
  const row = await db
    .selectFrom('users')
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      eb.fn.count<number>('suspended_at').as('suspended'),
    ])
    // People only: a namespace's account is not a user (decision 0026).
    .where('kind', '=', 'person')
    .executeTakeFirst();
  return { total: Number(row?.total ?? 0), suspended: Number(row?.suspended ?? 0) };
}

export async function countDnsRecordsByType(db: Db): Promise<CountBy[]> {
  const rows = await db
    .selectFrom('dns_records')
    .select(['type as key', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('type')
    .orderBy('type')
    .execute();
  return rows.map((r) => ({ key: r.key, n: Number(r.n) }));
}

export async function countDnsRecordsInError(db: Db): Promise<number> {
  const row = await db
    .selectFrom('dns_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'error')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function countCertificatesByStatus(db: Db): Promise<CountBy[]> {
  const rows = await db
    .selectFrom('certificates')
    .select(['status as key', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .orderBy('status')
    .execute();
  return rows.map((r) => ({ key: r.key, n: Number(r.n) }));
}

/** Escape LIKE wildcards with `!` (an escape character both dialects accept in an ESCAPE clause). */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[!%_]/g, (ch) => `!${ch}`)}%`;

function containsCi(column: 'username' | 'display_name' | 'email', text: string) {
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${likePattern(text)} escape '!'`;
}

export interface UserSearchRow extends User {
  record_count: number;
  certificate_status: string | null;
}

/**
 * Users whose username, display name or email contains `text` (case-insensitive), by username; with
 * `text` null, every user, most recent sign-in first (never signed in last, then newest account first).
 */
export async function findUsersPage(
  db: Db,
  text: string | null,
  offset: number,
  limit: number,
): Promise<{ rows: UserSearchRow[]; total: number }> {
  // People only: a namespace's account is not a user (decision 0026).
  const where = (eb: {
    or: (e: Expression<SqlBool>[]) => Expression<SqlBool>;
    and: (e: Expression<SqlBool>[]) => Expression<SqlBool>;
  }) =>
    eb.and([
      sql<SqlBool>`${sql.ref('kind')} = 'person'`,
      ...(text === null
        ? []
        : [
            eb.or([
              containsCi('username', text),
              containsCi('display_name', text),
              containsCi('email', text),
            ]),
          ]),
    ]);
  const count = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(where)
    .executeTakeFirst();
  const ordered = db.selectFrom('users');
  const users = await (
    text === null
      ? ordered
          // DESC puts NULL last on both dialects (MySQL and SQLite sort NULL lowest).
          .orderBy('last_login_at', 'desc')
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
      : ordered.orderBy('username')
  )
    .selectAll('users')
    .select((eb) => [
      eb
        .selectFrom('dns_records')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('dns_records.user_id', '=', 'users.id')
        .as('record_count'),
      eb
        .selectFrom('certificates')
        .select('certificates.status')
        .whereRef('certificates.user_id', '=', 'users.id')
        .orderBy('certificates.id', 'desc')
        .limit(1)
        .as('certificate_status'),
    ])
    .where(where)
    .limit(limit)
    .offset(offset)
    .execute();
  return {
    total: Number(count?.n ?? 0),
    rows: users.map((u) => ({
      ...u,
      record_count: Number(u.record_count ?? 0),
      certificate_status: u.certificate_status ?? null,
    })),
  };
}

export async function findAllDnsRecordsOfUser(
  db: DbOrTrx,
  userId: number,
): Promise<DnsRecordRow[]> {
  return db
    .selectFrom('dns_records')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('subdomain')
    .orderBy('type')
    .orderBy('id')
    .execute();
}

export async function findCertificatesOfUser(
  db: DbOrTrx,
  userId: number,
): Promise<CertificateRow[]> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .execute();
}

/** Suspend (a time) or unsuspend (null) only if the user is not already in that state; returns rows changed. */
export async function updateUserSuspendedAt(
  db: DbOrTrx,
  id: number,
  suspendedAt: number | null,
  now: number,
): Promise<number> {
  const res = await db
    .updateTable('users')
    .set({ suspended_at: suspendedAt, updated_at: now })
    .where('id', '=', id)
    .where('suspended_at', suspendedAt === null ? 'is not' : 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Show every record of the user with this status (used when their records leave or rejoin DNS). */
export async function updateDnsRecordsStatusOfUser(
  db: DbOrTrx,
  userId: number,
  values: { status: 'pending' | 'live'; status_message: string | null; status_at: number },
): Promise<void> {
  await db
    .updateTable('dns_records')
    .set({ ...values, change_id: null })
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteSessionsOfUserTrx(db: DbOrTrx, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

export async function deleteCertificatesOfUser(db: DbOrTrx, userId: number): Promise<number> {
  const res = await db.deleteFrom('certificates').where('user_id', '=', userId).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function deleteUserRow(db: DbOrTrx, id: number): Promise<number> {
  const res = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Compare-and-set the impersonated user of a session; returns 1 when it changed, 0 when it had moved on. */
export async function updateSessionImpersonation(
  db: DbOrTrx,
  sessionId: string,
  expected: number | null,
  userId: number | null,
): Promise<number> {
  const res = await db
    .updateTable('sessions')
    .set({ impersonated_user_id: userId })
    .where('id', '=', sessionId)
    .where('impersonated_user_id', expected === null ? 'is' : '=', expected)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

// ---------- blocked labels ----------

export async function findBlockedLabels(
  db: Db,
): Promise<{ label: string; reason: string | null; created_at: number }[]> {
  const rows = await db.selectFrom('blocked_labels').selectAll().orderBy('label').execute();
  return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
}

/** Insert a blocked label; false when it was already blocked. */
export async function insertBlockedLabel(
  db: DbOrTrx,
  label: string,
  reason: string | null,
  now: number,
): Promise<boolean> {
  const existing = await db
    .selectFrom('blocked_labels')
    .select('label')
    .where('label', '=', label)
    .executeTakeFirst();
  if (existing) return false;
  await db.insertInto('blocked_labels').values({ label, reason, created_at: now }).execute();
  return true;
}

export async function deleteBlockedLabel(
  db: DbOrTrx,
  label: string,
): Promise<{ label: string; reason: string | null } | undefined> {
  const row = await db
    .selectFrom('blocked_labels')
    .select(['label', 'reason'])
    .where('label', '=', label)
    .executeTakeFirst();
  if (row) await db.deleteFrom('blocked_labels').where('label', '=', label).execute();
  return row;
}

// ---------- audit log ----------

export interface AuditFilter {
  /** Username (exact, case-insensitive) as actor or effective user. */
  username?: string | null;
  /** Exact user id as actor or effective user. */
  userId?: number | null;
  /** Action prefix, e.g. `admin.` or `dns-record.update`. */
  action?: string | null;
  from?: number | null;
  /** Exclusive upper bound. */
  to?: number | null;
}

/** Audit rows matching the filter, newest first. */
export async function findAuditPage(
  db: Db,
  filter: AuditFilter,
  offset: number,
  limit: number,
): Promise<{ rows: AuditRow[]; total: number }> {
  let base = db.selectFrom('audit_log');
  if (filter.userId != null) {
    const id = filter.userId;
    base = base.where((eb) =>
      eb.or([eb('actor_user_id', '=', id), eb('effective_user_id', '=', id)]),
    );
  }
  if (filter.username) {
    const name = filter.username.toLowerCase();
    base = base.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['actor_username']), '=', name),
        eb(eb.fn('lower', ['effective_username']), '=', name),
      ]),
    );
  }
  if (filter.action) {
    const a = filter.action;
    base = base.where((eb) =>
      eb.or([
        eb('action', '=', a),
        sql<SqlBool>`${sql.ref('action')} like ${`${a.replace(/[!%_]/g, (ch) => `!${ch}`)}%`} escape '!'`,
      ]),
    );
  }
  if (filter.from != null) base = base.where('at', '>=', filter.from);
  if (filter.to != null) base = base.where('at', '<', filter.to);
  const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const rows = await base
    .selectAll()
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return {
    total: Number(count?.n ?? 0),
    rows: rows.map((r) => ({
      ...r,
      id: Number(r.id),
      at: Number(r.at),
    })),
  };
}

export async function findAuditActions(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select('action')
    .distinct()
    .orderBy('action')
    .execute();
  return rows.map((r) => r.action);
}
