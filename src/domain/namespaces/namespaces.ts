/**
 * Shared namespaces (issue 20, decision 0026): a label directly under the root that a group of people
 * own together. This module holds the label rules, creation (one label space with people, decided by the
 * database under concurrency), membership by username, email or SSO group, and the rule that a
 * namespace always keeps an owner. Records, certificates and tokens in a namespace build on it.
 */
import type { Db } from '../../db/client.js';
import { isDuplicateKey } from '../../db/dialect.js';
import { findBlockedLabels } from '../../db/repos/admin.js';
import type { DbOrTrx } from '../../db/repos/dns-records.js';
import {
  ROLE_RANK,
  countOwners,
  deleteMember,
  findGroupMembershipsOfUser,
  findLinkedGroups,
  findLinksOfGroups,
  findMemberRole,
  findMembers,
  findNamespaceById,
  findNamespacesOfUser,
  findOwnerlessNamespaceIds,
  findUsersInGroup,
  insertNamespace,
  lockNamespace,
  setNamespaceOrphaned,
  upsertMember,
} from '../../db/repos/namespaces.js';
import type { Namespace, NamespaceRole, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Actor } from '../dns-records/audit.js';
import { auditChange } from '../dns-records/audit.js';
import { isProfane } from '../dns-records/rules.js';

export const NAMESPACE_ROLES: readonly NamespaceRole[] = ['owner', 'editor', 'viewer'];
export const DESCRIPTION_MAX = 500;
/** Longest SSO group name kept (the column's size). */
const GROUP_MAX = 191;

/**
 * Labels the service or common practice needs under the root, never given to a namespace (a person
 * whose username is one of them keeps it: people are not refused here).
 */
const RESERVED = new Set([
  'www',
  'api',
  'admin',
  'mail',
  'smtp',
  'imap',
  'pop',
  'ns',
  'ns1',
  'ns2',
  'ns3',
  'ns4',
  'ftp',
  'autodiscover',
  'autoconfig',
  'localhost',
  'wpad',
  'status',
  'help',
  'support',
  'login',
  'auth',
  'sso',
]);

export interface NamespaceDeps {
  db: Db;
  clock: Clock;
  config: { dns: { namespaceCreatorRoles: readonly User['role'][] } };
}

/** Why a namespace label is not allowed (before asking the database whether it is free), or null. */
export function namespaceLabelProblem(
  label: string,
  blocked: ReadonlySet<string> = new Set(),
): string | null {
  if (label === '') return 'Enter a name, for example osd700 or robotics-club.';
  if (/[A-Z]/.test(label)) {
    // The suggestion is a name that could work: "OSD 700" → osd-700, not "osd 700".
    const hint = label
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '');
    return `Use lowercase letters only${hint ? `, for example ${hint}` : ''}.`;
  }
  if (label.includes('.')) return 'Use a single name without dots.';
  if (!/^[a-z0-9-]+$/.test(label))
    return 'Names can contain lowercase letters (a-z), numbers (0-9) and hyphens (-).';
  if (label.length < 3) return 'Use at least 3 characters.';
  if (label.length > 63) return 'Use at most 63 characters.';
  if (label.startsWith('-') || label.endsWith('-'))
    return 'The name must start and end with a letter or a number.';
  if (/^..--/.test(label))
    return 'Hyphens in the third and fourth place are kept for international names (like xn--).';
  if (RESERVED.has(label))
    return `“${label}” is kept for the service itself. Please choose another.`;
  if (isProfane(label) || blocked.has(label))
    return 'That name is not available. Please choose another.';
  return null;
}

const invalid = (fields: Record<string, string>) =>
  new AppError('INVALID_INPUT', 'Please correct the highlighted fields.', fields);

const notFound = () =>
  new AppError('NOT_FOUND', 'There is no such namespace, or it is not shared with you.');

export interface NamespaceInput {
  label: unknown;
  description?: unknown;
  recordLimit?: unknown;
  endsAt?: unknown;
}

/** Parse a creation form; throws INVALID_INPUT with field errors. */
async function parseNamespaceInput(
  db: DbOrTrx,
  input: NamespaceInput,
  now: number,
): Promise<{
  label: string;
  description: string;
  recordLimit: number | null;
  endsAt: number | null;
}> {
  const fields: Record<string, string> = {};
  const label = typeof input.label === 'string' ? input.label.trim() : '';
  const blocked = new Set((await findBlockedLabels(db)).map((b) => b.label));
  const labelProblem = namespaceLabelProblem(label, blocked);
  if (labelProblem) fields.label = labelProblem;

  const description = typeof input.description === 'string' ? input.description.trim() : '';
  if (description.length > DESCRIPTION_MAX)
    fields.description = `Use at most ${DESCRIPTION_MAX} characters.`;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(description))
    fields.description = 'Remove the control characters.';

  let recordLimit: number | null = null;
  const rawLimit =
    typeof input.recordLimit === 'string' ? input.recordLimit.trim() : input.recordLimit;
  if (rawLimit !== undefined && rawLimit !== null && rawLimit !== '') {
    const n = typeof rawLimit === 'number' ? rawLimit : Number(rawLimit);
    if (!Number.isInteger(n) || n < 1 || n > 10_000)
      fields.recordLimit = 'Enter a whole number from 1 to 10000, or leave it empty.';
    else recordLimit = n;
  }

  let endsAt: number | null = null;
  const rawEnd = typeof input.endsAt === 'string' ? input.endsAt.trim() : '';
  if (rawEnd !== '') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(rawEnd);
    const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59) : NaN;
    const d = new Date(t);
    if (!m || Number.isNaN(t) || d.getUTCDate() !== Number(m[3]))
      fields.endsAt = 'Enter a date as YYYY-MM-DD, for example 2027-04-30.';
    else if (t <= now) fields.endsAt = 'Choose a date in the future.';
    else if (t > now + 4 * 366 * 86_400_000) fields.endsAt = 'Choose a date within four years.';
    else endsAt = t;
  }
  if (Object.keys(fields).length > 0) throw invalid(fields);
  return { label, description, recordLimit, endsAt };
}

/**
 * Create a namespace with the actor as its owner. Throws FORBIDDEN (role not allowed to create),
 * INVALID_INPUT, or CONFLICT when a person or another namespace holds the label (also when two people
 * race for it: the database decides, and the loser's transaction leaves nothing behind).
 */
export async function createNamespace(
  deps: NamespaceDeps,
  actor: Actor,
  input: NamespaceInput,
): Promise<Namespace> {
  const creator = actor.effectiveUser;
  if (!deps.config.dns.namespaceCreatorRoles.includes(creator.role))
    throw new AppError(
      'FORBIDDEN',
      `Shared namespaces are created by ${deps.config.dns.namespaceCreatorRoles.join(' and ')} accounts. Ask your instructor or an administrator to create one and add you.`,
    );
  const now = deps.clock.now();
  const parsed = await parseNamespaceInput(deps.db, input, now);
  const taken = () =>
    new AppError('CONFLICT', `The name “${parsed.label}” is already taken.`, {
      label: 'This name belongs to a person or another namespace. Please choose another.',
    });
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const id = await insertNamespace(trx, {
        label: parsed.label,
        description: parsed.description,
        record_limit: parsed.recordLimit,
        ends_at: parsed.endsAt,
        created_by: creator.id,
        now,
      });
      await upsertMember(trx, {
        namespace_id: id,
        user_id: creator.id,
        via: '',
        role: 'owner',
        added_by: creator.id,
        now,
      });
      const ns = (await findNamespaceById(trx, id))!;
      await audit(trx, actor, 'namespace.create', id, null, snapshot(ns), now);
      return ns;
    });
  } catch (err) {
    if (isDuplicateKey(err)) throw taken();
    throw err;
  }
}

const snapshot = (ns: Namespace) =>
  JSON.stringify({
    label: ns.label,
    description: ns.description,
    record_limit: ns.record_limit,
    ends_at: ns.ends_at,
  });

const audit = (
  db: DbOrTrx,
  actor: Actor,
  action: string,
  namespaceId: number,
  before: string | null,
  after: string | null,
  now: number,
) => auditChange(db, actor, { type: 'namespace', id: namespaceId }, action, before, after, now);

/** The person's role in a namespace, or null (not a member). Admins see every namespace as owners do. */
export async function roleIn(
  db: DbOrTrx,
  user: User,
  namespaceId: number,
): Promise<NamespaceRole | null> {
  const role = await findMemberRole(db, namespaceId, user.id);
  if (role) return role;
  return user.role === 'admin' ? 'owner' : null;
}

/**
 * The namespace if `user` holds at least `needed` in it. Throws NOT_FOUND when they are not a member
 * (so a namespace's existence is not revealed) and FORBIDDEN when their role is too low.
 */
export async function requireRole(
  db: DbOrTrx,
  user: User,
  namespaceId: number,
  needed: NamespaceRole,
): Promise<{ namespace: Namespace; role: NamespaceRole }> {
  const namespace = await findNamespaceById(db, namespaceId);
  const role = namespace ? await roleIn(db, user, namespaceId) : null;
  if (!namespace || !role) throw notFound();
  if (ROLE_RANK[role] < ROLE_RANK[needed])
    throw new AppError(
      'FORBIDDEN',
      needed === 'owner'
        ? `Only the owners of ${namespace.label} can do this.`
        : `You can view ${namespace.label} but not change it. Ask one of its owners to make you an editor.`,
    );
  return { namespace, role };
}

/** The namespaces a person belongs to, with their role in each. */
export async function namespacesOf(db: DbOrTrx, user: User) {
  return findNamespacesOfUser(db, user.id);
}

/** A namespace's members (one entry per person, with every source of their membership) and groups. */
/** One person in a namespace: their highest role, their direct grant, and the groups that add them. */
export interface NamespaceMember {
  userId: number;
  username: string;
  displayName: string;
  email: string;
  role: NamespaceRole;
  direct: NamespaceRole | null;
  groups: string[];
}

export async function membersOf(db: DbOrTrx, namespaceId: number) {
  const rows = await findMembers(db, namespaceId);
  const people = new Map<number, NamespaceMember>();
  for (const r of rows) {
    const p = people.get(r.user_id) ?? {
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      email: r.email,
      role: r.role,
      direct: null,
      groups: [],
    };
    if (ROLE_RANK[r.role] > ROLE_RANK[p.role]) p.role = r.role;
    if (r.via === '') p.direct = r.role;
    else p.groups.push(r.via);
    people.set(r.user_id, p);
  }
  return { people: [...people.values()], groups: await findLinkedGroups(db, namespaceId) };
}

function parseRole(raw: unknown): NamespaceRole {
  if (typeof raw === 'string' && (NAMESPACE_ROLES as readonly string[]).includes(raw))
    return raw as NamespaceRole;
  throw invalid({ role: 'Choose owner, editor or viewer.' });
}

const noOwnerLeft = (label: string) =>
  new AppError('CONFLICT', `${label} needs at least one owner. Make someone else an owner first.`, {
    member: 'This would leave the namespace without an owner.',
  });

/**
 * Give a person (by username or email address, as they signed in) a direct role; changes the role when
 * they have one. Owners only. Throws INVALID_INPUT for an unknown person, CONFLICT when demoting the
 * last owner.
 */
export async function grantMember(
  deps: NamespaceDeps,
  actor: Actor,
  namespaceId: number,
  who: unknown,
  rawRole: unknown,
): Promise<void> {
  const role = parseRole(rawRole);
  const key = typeof who === 'string' ? who.trim() : '';
  if (key === '' || key.length > 255)
    throw invalid({ member: 'Enter the username or email address of someone who has signed in.' });
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const { namespace } = await requireRole(trx, actor.effectiveUser, namespaceId, 'owner');
    await lockNamespace(trx, namespaceId);
    const person = await trx
      .selectFrom('users')
      .selectAll()
      .where((eb) =>
        key.includes('@')
          ? eb(eb.fn('lower', ['email']), '=', key.toLowerCase())
          : eb(eb.fn('lower', ['username']), '=', key.toLowerCase()),
      )
      .limit(2)
      .execute();
    if (person.length !== 1)
      throw invalid({
        member:
          person.length === 0
            ? `No one has signed in as “${key}” yet. They need to sign in once before they can be added.`
            : `More than one account uses ${key}; enter their username instead.`,
      });
    const target = person[0]!;
    const before = (await membersOf(trx, namespaceId)).people.find((p) => p.userId === target.id);
    await upsertMember(trx, {
      namespace_id: namespaceId,
      user_id: target.id,
      via: '',
      role,
      added_by: actor.user.id,
      now,
    });
    if ((await countOwners(trx, namespaceId)) === 0) throw noOwnerLeft(namespace.label);
    await audit(
      trx,
      actor,
      before ? 'namespace.member.change' : 'namespace.member.add',
      namespaceId,
      before ? JSON.stringify({ username: target.username, role: before.direct }) : null,
      JSON.stringify({ username: target.username, role }),
      now,
    );
  });
}

/**
 * Remove a person's direct grant at once (owners; or the person themselves, leaving). Memberships
 * through a linked group stay until the group is unlinked or they leave it. CONFLICT if it would
 * leave no owner.
 */
export async function removeMember(
  deps: NamespaceDeps,
  actor: Actor,
  namespaceId: number,
  userId: number,
): Promise<void> {
  const now = deps.clock.now();
  const self = actor.effectiveUser.id === userId;
  await deps.db.transaction().execute(async (trx) => {
    const { namespace } = await requireRole(
      trx,
      actor.effectiveUser,
      namespaceId,
      self ? 'viewer' : 'owner',
    );
    await lockNamespace(trx, namespaceId);
    const rows = await findMembers(trx, namespaceId);
    const direct = rows.find((r) => r.user_id === userId && r.via === '');
    if (!direct)
      throw new AppError('NOT_FOUND', 'That person has no direct membership in this namespace.');
    await deleteMember(trx, namespaceId, userId, '');
    if ((await countOwners(trx, namespaceId)) === 0) throw noOwnerLeft(namespace.label);
    await audit(
      trx,
      actor,
      'namespace.member.remove',
      namespaceId,
      JSON.stringify({ username: direct.username, role: direct.role }),
      null,
      now,
    );
  });
}

/** Link an SSO group: everyone in it (now and at each sign-in) is a member with `role`. Owners only. */
export async function linkGroup(
  deps: NamespaceDeps,
  actor: Actor,
  namespaceId: number,
  rawGroup: unknown,
  rawRole: unknown,
): Promise<{ members: number }> {
  const role = parseRole(rawRole);
  const group = typeof rawGroup === 'string' ? rawGroup.trim() : '';
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (group === '' || group.length > GROUP_MAX || /[\u0000-\u001f\u007f]/.test(group))
    throw invalid({
      group: `Enter the group's name as your organisation's sign-in service sends it (at most ${GROUP_MAX} characters).`,
    });
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    await requireRole(trx, actor.effectiveUser, namespaceId, 'owner');
    await lockNamespace(trx, namespaceId);
    const existing = (await findLinkedGroups(trx, namespaceId)).find((g) => g.group_name === group);
    if (existing)
      await trx
        .updateTable('namespace_groups')
        .set({ role })
        .where('namespace_id', '=', namespaceId)
        .where('group_name', '=', group)
        .execute();
    else
      await trx
        .insertInto('namespace_groups')
        .values({ namespace_id: namespaceId, group_name: group, role, created_at: now })
        .execute();
    const people = await findUsersInGroup(trx, group);
    for (const p of people)
      await upsertMember(trx, {
        namespace_id: namespaceId,
        user_id: p.id,
        via: group,
        role,
        added_by: actor.user.id,
        now,
      });
    const namespace = (await findNamespaceById(trx, namespaceId))!;
    if ((await countOwners(trx, namespaceId)) === 0) throw noOwnerLeft(namespace.label);
    await audit(
      trx,
      actor,
      existing ? 'namespace.group.change' : 'namespace.group.link',
      namespaceId,
      existing ? JSON.stringify({ group, role: existing.role }) : null,
      JSON.stringify({ group, role, members: people.length }),
      now,
    );
    return { members: people.length };
  });
}

/** Unlink a group: its members lose the access it gave them at once. Owners only. */
export async function unlinkGroup(
  deps: NamespaceDeps,
  actor: Actor,
  namespaceId: number,
  rawGroup: unknown,
): Promise<void> {
  const group = typeof rawGroup === 'string' ? rawGroup.trim() : '';
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const { namespace } = await requireRole(trx, actor.effectiveUser, namespaceId, 'owner');
    await lockNamespace(trx, namespaceId);
    const existing = (await findLinkedGroups(trx, namespaceId)).find((g) => g.group_name === group);
    if (!existing) throw new AppError('NOT_FOUND', 'That group is not linked to this namespace.');
    await trx
      .deleteFrom('namespace_groups')
      .where('namespace_id', '=', namespaceId)
      .where('group_name', '=', group)
      .execute();
    await trx
      .deleteFrom('namespace_members')
      .where('namespace_id', '=', namespaceId)
      .where('via', '=', group)
      .execute();
    if ((await countOwners(trx, namespaceId)) === 0) throw noOwnerLeft(namespace.label);
    await audit(
      trx,
      actor,
      'namespace.group.unlink',
      namespaceId,
      JSON.stringify({ group, role: existing.role }),
      null,
      now,
    );
  });
}

/**
 * At each sign-in: make the person's group memberships match the groups the IdP just sent (joining
 * adds access, leaving removes it), then flag namespaces this left without an owner for admins. Runs
 * in the sign-in's transaction or on its own.
 */
export async function syncGroupMemberships(
  db: DbOrTrx,
  user: Pick<User, 'id'>,
  groups: readonly string[],
  now: number,
): Promise<void> {
  const desired = await findLinksOfGroups(db, groups.slice(0, 1000));
  const current = await findGroupMembershipsOfUser(db, user.id);
  const key = (nsId: number, via: string) => `${nsId}\u0000${via}`;
  const want = new Map(desired.map((d) => [key(d.namespace_id, d.group_name), d]));
  const have = new Map(current.map((c) => [key(c.namespace_id, c.via), c]));
  let removedOwner = false;
  for (const [k, c] of have)
    if (!want.has(k)) {
      await deleteMember(db, c.namespace_id, user.id, c.via);
      if (c.role === 'owner') removedOwner = true;
    }
  for (const [k, d] of want) {
    const c = have.get(k);
    if (c && c.role === d.role) continue;
    if (c?.role === 'owner') removedOwner = true;
    await upsertMember(db, {
      namespace_id: d.namespace_id,
      user_id: user.id,
      via: d.group_name,
      role: d.role,
      added_by: null,
      now,
    });
  }
  if (removedOwner) await flagOwnerlessNamespaces(db, now);
}

/** Mark namespaces left without any owner (an account deleted, a group left) for admins; returns them. */
export async function flagOwnerlessNamespaces(db: DbOrTrx, now: number): Promise<number[]> {
  const ids = await findOwnerlessNamespaceIds(db);
  for (const id of ids) await setNamespaceOrphaned(db, id, now);
  return ids;
}
