/** Append-only audit trail of mutations, attributed to the signed-in person and the effective user. */
import type { Insertable } from 'kysely';
import type { AuditLogTable } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

export async function insertAuditLog(
  db: DbOrTrx,
  entry: Omit<Insertable<AuditLogTable>, 'id'>,
): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}

/** What the audit log shows for its targets today (ids that no longer exist are simply missing). */
export interface AuditTargetLookup {
  users: Map<number, { username: string; dns_label: string }>;
  records: Map<number, { user_id: number; subdomain: string; type: string }>;
  certificates: Map<number, { user_id: number; domain: string }>;
  tokens: Map<number, { user_id: number; name: string }>;
}

/** Current names of the given users, DNS records, certificates and access tokens (one query each). */
export async function findAuditTargets(
  db: DbOrTrx,
  ids: { users: number[]; records: number[]; certificates: number[]; tokens: number[] },
): Promise<AuditTargetLookup> {
  const uniq = (xs: number[]) => [...new Set(xs)];
  const [records, certificates, tokens] = await Promise.all([
    ids.records.length === 0
      ? []
      : db
          .selectFrom('dns_records')
          .select(['id', 'user_id', 'subdomain', 'type'])
          .where('id', 'in', uniq(ids.records))
          .execute(),
    ids.certificates.length === 0
      ? []
      : db
          .selectFrom('certificates')
          .select(['id', 'user_id', 'domain'])
          .where('id', 'in', uniq(ids.certificates))
          .execute(),
    ids.tokens.length === 0
      ? []
      : db
          .selectFrom('api_tokens')
          .select(['id', 'user_id', 'name'])
          .where('id', 'in', uniq(ids.tokens))
          .execute(),
  ]);
  // Owners of the records too: a record's full name needs its owner's DNS label.
  const userIds = uniq([...ids.users, ...records.map((r) => Number(r.user_id))]);
  const users =
    userIds.length === 0
      ? []
      : await db
          .selectFrom('users')
          .select(['id', 'username', 'dns_label'])
          .where('id', 'in', userIds)
          .execute();
  return {
    users: new Map(
      users.map((u) => [Number(u.id), { username: u.username, dns_label: u.dns_label }]),
    ),
    records: new Map(
      records.map((r) => [
        Number(r.id),
        { user_id: Number(r.user_id), subdomain: r.subdomain, type: r.type },
      ]),
    ),
    certificates: new Map(
      certificates.map((c) => [Number(c.id), { user_id: Number(c.user_id), domain: c.domain }]),
    ),
    tokens: new Map(
      tokens.map((t) => [Number(t.id), { user_id: Number(t.user_id), name: t.name }]),
    ),
  };
}
