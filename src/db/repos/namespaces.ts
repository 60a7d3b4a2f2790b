/**
 * Namespaces, their members and linked groups, and the label space people and namespaces share
 * (decision 0026). Queries only: the rules are in domain/namespaces.
 */
import { sql } from 'kysely';
import { isMysql } from '../dialect.js';
import type { Namespace, NamespaceRole } from '../schema.js';
import type { DbOrTrx } from './dns-records.js';

export const ROLE_RANK: Record<NamespaceRole, number> = { viewer: 1, editor: 2, owner: 3 };

/** The account username of a namespace: ':' never occurs in a username that can sign in. */
export const namespaceAccountUsername = (label: string) => `namespace:${label}`;

/**
 * Create a namespace: its account (a users row of kind 'namespace' holding the label: the unique
 * dns_label decides races with people and other namespaces) and its namespaces row. Returns the id.
 * Throws the database's duplicate-key error when the label is taken.
 */
export async function insertNamespace(
  db: DbOrTrx,
  values: {
    label: string;
    description: string;
    record_limit: number | null;
    ends_at: number | null;
    created_by: number;
    now: number;
  },
): Promise<number> {
  const account = await db
    .insertInto('users')
    .values({
      username: namespaceAccountUsername(values.label),
      dns_label: values.label,
      display_name: values.label,
      // Reminders and notices go to the owners, never to this address.
      email: '',
      groups: '[]',
      role: 'student',
      kind: 'namespace',
      suspended_at: null,
      created_at: values.now,
      updated_at: values.now,
      last_login_at: null,
    })
    .executeTakeFirstOrThrow();
  const res = await db
    .insertInto('namespaces')
    .values({
      account_id: Number(account.insertId),
      description: values.description,
      record_limit: values.record_limit,
      ends_at: values.ends_at,
      orphaned_at: null,
      created_by: values.created_by,
      created_at: values.now,
      updated_at: values.now,
    })
    .executeTakeFirstOrThrow();
  return Number(res.insertId);
}

const namespaces = (db: DbOrTrx) =>
  db
    .selectFrom('namespaces as n')
    .innerJoin('users as a', 'a.id', 'n.account_id')
    .select([
      'n.id',
      'n.account_id',
      'n.description',
      'n.record_limit',
      'n.ends_at',
      'n.orphaned_at',
      'n.created_by',
      'n.created_at',
      'n.updated_at',
      'a.dns_label as label',
      'a.suspended_at',
    ]);

export async function findNamespaceById(db: DbOrTrx, id: number): Promise<Namespace | undefined> {
  return namespaces(db).where('n.id', '=', id).executeTakeFirst();
}

/** Lock a namespace's row for the rest of the transaction (membership changes serialise on it). */
export async function lockNamespace(db: DbOrTrx, id: number): Promise<void> {
  const q = db.selectFrom('namespaces').select('id').where('id', '=', id);
  // SQLite has one writer: its transactions are serial already.
  await (isMysql(db) ? q.forUpdate() : q).executeTakeFirst();
}

export async function setNamespaceOrphaned(
  db: DbOrTrx,
  id: number,
  at: number | null,
): Promise<void> {
  await db.updateTable('namespaces').set({ orphaned_at: at }).where('id', '=', id).execute();
}

/** The person's highest role in the namespace, or null when they are not a member. */
export async function findMemberRole(
  db: DbOrTrx,
  namespaceId: number,
  userId: number,
): Promise<NamespaceRole | null> {
  const rows = await db
    .selectFrom('namespace_members')
    .select('role')
    .where('namespace_id', '=', namespaceId)
    .where('user_id', '=', userId)
    .execute();
  return highestRole(rows.map((r) => r.role));
}

export function highestRole(roles: readonly NamespaceRole[]): NamespaceRole | null {
  let best: NamespaceRole | null = null;
  for (const r of roles) if (!best || ROLE_RANK[r] > ROLE_RANK[best]) best = r;
  return best;
}

export interface MemberRow {
  user_id: number;
  username: string;
  display_name: string;
  email: string;
  via: string;
  role: NamespaceRole;
}

/** Every membership row of a namespace with the person's names, by username then source. */
export async function findMembers(db: DbOrTrx, namespaceId: number): Promise<MemberRow[]> {
  return db
    .selectFrom('namespace_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.username', 'u.display_name', 'u.email', 'm.via', 'm.role'])
    .where('m.namespace_id', '=', namespaceId)
    .orderBy('u.username')
    .orderBy('m.via')
    .execute();
}

/** Number of distinct people whose highest role is owner. */
export async function countOwners(db: DbOrTrx, namespaceId: number): Promise<number> {
  const row = await db
    .selectFrom('namespace_members')
    .select(sql<number>`count(distinct user_id)`.as('n'))
    .where('namespace_id', '=', namespaceId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function upsertMember(
  db: DbOrTrx,
  row: {
    namespace_id: number;
    user_id: number;
    via: string;
    role: NamespaceRole;
    added_by: number | null;
    now: number;
  },
): Promise<void> {
  const values = {
    namespace_id: row.namespace_id,
    user_id: row.user_id,
    via: row.via,
    role: row.role,
    added_by: row.added_by,
    created_at: row.now,
  };
  const q = db.insertInto('namespace_members').values(values);
  await (
    isMysql(db)
      ? q.onDuplicateKeyUpdate({ role: row.role })
      : q.onConflict((oc) =>
          oc.columns(['namespace_id', 'user_id', 'via']).doUpdateSet({ role: row.role }),
        )
  ).execute();
}

export async function deleteMember(
  db: DbOrTrx,
  namespaceId: number,
  userId: number,
  via: string,
): Promise<number> {
  const res = await db
    .deleteFrom('namespace_members')
    .where('namespace_id', '=', namespaceId)
    .where('user_id', '=', userId)
    .where('via', '=', via)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function findLinkedGroups(
  db: DbOrTrx,
  namespaceId: number,
): Promise<{ group_name: string; role: NamespaceRole }[]> {
  return db
    .selectFrom('namespace_groups')
    .select(['group_name', 'role'])
    .where('namespace_id', '=', namespaceId)
    .orderBy('group_name')
    .execute();
}

/** Every link of these groups to any namespace (the groups a person signed in with). */
export async function findLinksOfGroups(
  db: DbOrTrx,
  groups: readonly string[],
): Promise<{ namespace_id: number; group_name: string; role: NamespaceRole }[]> {
  if (groups.length === 0) return [];
  return db
    .selectFrom('namespace_groups')
    .select(['namespace_id', 'group_name', 'role'])
    .where('group_name', 'in', groups)
    .execute();
}

/** A person's group-derived membership rows (via <> ''). */
export async function findGroupMembershipsOfUser(
  db: DbOrTrx,
  userId: number,
): Promise<{ namespace_id: number; via: string; role: NamespaceRole }[]> {
  return db
    .selectFrom('namespace_members')
    .select(['namespace_id', 'via', 'role'])
    .where('user_id', '=', userId)
    .where('via', '<>', '')
    .execute();
}

/** The namespaces a person belongs to, with their highest role in each, by label. */
export async function findNamespacesOfUser(
  db: DbOrTrx,
  userId: number,
): Promise<(Namespace & { role: NamespaceRole })[]> {
  const rows = await namespaces(db)
    .innerJoin('namespace_members as m', 'm.namespace_id', 'n.id')
    .select('m.role as member_role')
    .where('m.user_id', '=', userId)
    .orderBy('a.dns_label')
    .execute();
  const byId = new Map<number, Namespace & { role: NamespaceRole }>();
  for (const { member_role, ...ns } of rows) {
    const seen = byId.get(ns.id);
    if (!seen || ROLE_RANK[member_role] > ROLE_RANK[seen.role])
      byId.set(ns.id, { ...ns, role: member_role });
  }
  return [...byId.values()];
}

/** Namespaces that have no owner left (after an account deletion or a group change). */
export async function findOwnerlessNamespaceIds(db: DbOrTrx): Promise<number[]> {
  const rows = await db
    .selectFrom('namespaces as n')
    .select('n.id')
    .where('n.orphaned_at', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('namespace_members as m')
            .select('m.user_id')
            .whereRef('m.namespace_id', '=', 'n.id')
            .where('m.role', '=', 'owner'),
        ),
      ),
    )
    .execute();
  return rows.map((r) => Number(r.id));
}

/** People already known whose last sign-in carried this group (groups is a JSON array of strings). */
export async function findUsersInGroup(db: DbOrTrx, group: string): Promise<{ id: number }[]> {
  // A LIKE narrows the candidates; the JSON is parsed to match the group exactly.
  const needle = JSON.stringify(group).replace(/[!%_]/g, (c) => `!${c}`);
  const rows = await db
    .selectFrom('users')
    .select(['id', 'groups'])
    .where(sql<boolean>`${sql.ref('groups')} like ${`%${needle}%`} escape '!'`)
    .execute();
  return rows
    .filter((r) => {
      try {
        const g = JSON.parse(r.groups) as unknown;
        return Array.isArray(g) && g.includes(group);
      } catch {
        return false;
      }
    })
    .map((r) => ({ id: Number(r.id) }));
}

/**
 * The people who hear about a namespace's account (reminders, notices): its owners who can still sign
 * in, one entry per person, by username.
 */
export async function findOwnerContacts(
  db: DbOrTrx,
  accountId: number,
): Promise<{ id: number; email: string; display_name: string }[]> {
  return db
    .selectFrom('namespaces as n')
    .innerJoin('namespace_members as m', 'm.namespace_id', 'n.id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.display_name'])
    .distinct()
    .where('n.account_id', '=', accountId)
    .where('m.role', '=', 'owner')
    .where('u.suspended_at', 'is', null)
    .where('u.email', '<>', '')
    .orderBy('u.id')
    .execute();
}
