/**
 * Shared namespaces, first step (issue 20, decision 0026): the one label space people and namespaces
 * share, decided by the database under concurrency; who may create; membership by username, email and
 * SSO group (refreshed at each sign-in); the last-owner rule; account deletion flags ownerless ones.
 * On both dialects.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findNamespaceById } from '../../src/db/repos/namespaces.js';
import type { User } from '../../src/db/schema.js';
import { deleteUser } from '../../src/domain/admin/users.js';
import { createDnsRecord } from '../../src/domain/dns-records/dns-records.js';
import { sendDueReminders } from '../../src/domain/lifecycle/reminders.js';
import type { Actor } from '../../src/domain/dns-records/audit.js';
import {
  createNamespace,
  grantMember,
  linkGroup,
  membersOf,
  namespaceLabelProblem,
  namespacesOf,
  removeMember,
  requireRole,
  unlinkGroup,
} from '../../src/domain/namespaces/namespaces.js';
import { SignInRefused, upsertUserFromIdentity } from '../../src/domain/users/sign-in.js';
import { AppError } from '../../src/errors.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

const as = (user: User): Actor => ({ user, effectiveUser: user, requestId: null });

async function rejects(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe.each(DIALECTS)('namespaces (%s)', (dialect) => {
  let t: TestApp;
  const deps = () => ({ db: t.container.dbh.db, clock: t.container.clock, config: t.config });
  const db = () => t.container.dbh.db;
  let n = 0;
  const unique = (p: string) => `${p}${process.pid % 1000}x${++n}`;
  const faculty = async () => insertUser(db(), { role: 'faculty', username: unique('prof') });
  const student = async (groups: string[] = []) =>
    insertUser(db(), { username: unique('stu'), groups: JSON.stringify(groups) });

  beforeAll(async () => {
    t = await createTestApp({ dialect });
  });
  afterAll(async () => t.cleanup());

  const signIn = (username: string, groups: string[]) =>
    upsertUserFromIdentity(deps(), {
      nameId: username,
      nameIdFormat: null,
      sessionIndex: null,
      attributes: {
        [t.config.saml.attributes.username]: [username],
        [t.config.saml.attributes.email]: [`${username}@example.edu`],
        [t.config.saml.attributes.displayName]: [username],
        [t.config.saml.attributes.groups]: ['mycustomdomain-students', ...groups],
      },
    });

  test('a faculty member creates a namespace and owns it; students may not create one', async () => {
    const prof = await faculty();
    const label = unique('osd');
    const ns = await createNamespace(deps(), as(prof), {
      label,
      description: 'Open Source Development, winter term',
      recordLimit: '50',
      endsAt: new Date(Date.now() + 120 * 86_400_000).toISOString().slice(0, 10),
    });
    expect(ns.label).toBe(label);
    expect(ns.record_limit).toBe(50);
    expect((await namespacesOf(db(), prof)).map((x) => [x.label, x.role])).toEqual([
      [label, 'owner'],
    ]);
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'namespace.create')
      .where('target_id', '=', String(ns.id))
      .execute();
    expect(audit).toHaveLength(1);

    const s = await student();
    const e = await rejects(createNamespace(deps(), as(s), { label: unique('club') }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/faculty/);
  });

  test('labels follow the rules of user names and are refused with a reason', async () => {
    expect(namespaceLabelProblem('osd700')).toBeNull();
    expect(namespaceLabelProblem('robotics-club')).toBeNull();
    for (const bad of [
      '',
      'ab',
      'OSD700',
      'a.b',
      'a_b',
      '-abc',
      'abc-',
      'xn--abc',
      'www',
      'a'.repeat(64),
      'fuck-it',
    ])
      expect(namespaceLabelProblem(bad), bad).not.toBeNull();
    expect(namespaceLabelProblem('blocked-one', new Set(['blocked-one']))).not.toBeNull();

    const prof = await faculty();
    const e = await rejects(
      createNamespace(deps(), as(prof), {
        label: 'Bad Label',
        endsAt: '2020-01-01',
        recordLimit: 'x',
      }),
    );
    expect(e.code).toBe('INVALID_INPUT');
    expect(Object.keys(e.fields).sort()).toEqual(['endsAt', 'label', 'recordLimit']);
  });

  test("a person's label and a namespace's are one space: each refuses the other", async () => {
    const prof = await faculty();
    const person = await student();
    const e = await rejects(createNamespace(deps(), as(prof), { label: person.dns_label }));
    expect(e.code).toBe('CONFLICT');
    expect(e.fields.label).toMatch(/person or another namespace/);

    const label = unique('team');
    await createNamespace(deps(), as(prof), { label });
    const again = await rejects(createNamespace(deps(), as(await faculty()), { label }));
    expect(again.code).toBe('CONFLICT');

    // Someone whose username is the namespace's label cannot sign in (and nothing is created).
    await expect(signIn(label, [])).rejects.toBeInstanceOf(SignInRefused);
    await expect(signIn(label, [])).rejects.toThrow(/shared namespace/);
    const row = await db()
      .selectFrom('users')
      .select(['kind', 'username'])
      .where('dns_label', '=', label)
      .execute();
    expect(row).toEqual([{ kind: 'namespace', username: `namespace:${label}` }]);
  });

  test('two faculty creating the same namespace at once: exactly one wins, the other gets a 409', async () => {
    const label = unique('race');
    const profs = await Promise.all(Array.from({ length: 6 }, () => faculty()));
    const results = await Promise.allSettled(
      profs.map((p) => createNamespace(deps(), as(p), { label })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const l of lost) expect((l.reason as AppError).code).toBe('CONFLICT');
    const labels = await db()
      .selectFrom('users')
      .selectAll()
      .where('dns_label', '=', label)
      .execute();
    expect(labels).toHaveLength(1);
    expect(
      await db()
        .selectFrom('namespaces')
        .select('id')
        .where('account_id', '=', labels[0]!.id)
        .execute(),
    ).toHaveLength(1);
    const members = await db()
      .selectFrom('namespace_members')
      .innerJoin('namespaces', 'namespaces.id', 'namespace_members.namespace_id')
      .select('namespace_members.user_id')
      .where('namespaces.account_id', '=', labels[0]!.id)
      .execute();
    expect(members).toHaveLength(1);
  });

  test('a namespace and a first sign-in racing for one label: one of them gets it, never both', async () => {
    for (let i = 0; i < 4; i++) {
      const label = unique('dual');
      const prof = await faculty();
      const [ns, person] = await Promise.allSettled([
        createNamespace(deps(), as(prof), { label }),
        signIn(label, []),
      ]);
      const holders = await db()
        .selectFrom('users')
        .selectAll()
        .where('dns_label', '=', label)
        .execute();
      expect(holders).toHaveLength(1);
      expect([ns.status, person.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      expect(holders[0]!.kind).toBe(person.status === 'fulfilled' ? 'person' : 'namespace');
      const rows = await db()
        .selectFrom('namespaces')
        .select('id')
        .where('account_id', '=', holders[0]!.id)
        .execute();
      expect(rows).toHaveLength(ns.status === 'fulfilled' ? 1 : 0);
    }
  });

  test('owners add members by username or email, change roles, and remove them; viewers cannot write', async () => {
    const prof = await faculty();
    const { id } = await createNamespace(deps(), as(prof), { label: unique('lab') });
    const a = await student();
    const b = await student();
    await grantMember(deps(), as(prof), id, a.username.toUpperCase(), 'editor');
    await grantMember(deps(), as(prof), id, b.email, 'viewer');
    expect((await requireRole(db(), a, id, 'editor')).role).toBe('editor');
    const viewerWrite = await rejects(requireRole(db(), b, id, 'editor'));
    expect(viewerWrite.code).toBe('FORBIDDEN');
    expect(viewerWrite.message).toMatch(/view/);

    const unknown = await rejects(grantMember(deps(), as(prof), id, 'nobody-here', 'editor'));
    expect(unknown.code).toBe('INVALID_INPUT');
    expect(unknown.fields.member).toMatch(/signed in/);
    const badRole = await rejects(grantMember(deps(), as(prof), id, a.username, 'god'));
    expect(badRole.code).toBe('INVALID_INPUT');
    // An editor cannot manage members; a stranger learns nothing (404).
    expect((await rejects(grantMember(deps(), as(a), id, b.username, 'owner'))).code).toBe(
      'FORBIDDEN',
    );
    const stranger = await student();
    expect((await rejects(requireRole(db(), stranger, id, 'viewer'))).code).toBe('NOT_FOUND');

    await removeMember(deps(), as(prof), id, a.id);
    expect((await rejects(requireRole(db(), a, id, 'viewer'))).code).toBe('NOT_FOUND');
    // A member may leave on their own.
    await removeMember(deps(), as(b), id, b.id);
    expect((await membersOf(db(), id)).people.map((p) => p.userId)).toEqual([prof.id]);
  });

  test('the last owner cannot be removed or demoted', async () => {
    const prof = await faculty();
    const { id } = await createNamespace(deps(), as(prof), { label: unique('solo') });
    const e = await rejects(removeMember(deps(), as(prof), id, prof.id));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/at least one owner/);
    const d = await rejects(grantMember(deps(), as(prof), id, prof.username, 'editor'));
    expect(d.code).toBe('CONFLICT');
    expect((await requireRole(db(), prof, id, 'owner')).role).toBe('owner');
    // With a second owner, the first may step down.
    const other = await faculty();
    await grantMember(deps(), as(prof), id, other.username, 'owner');
    await grantMember(deps(), as(prof), id, prof.username, 'editor');
    expect((await requireRole(db(), prof, id, 'editor')).role).toBe('editor');
  });

  test('an SSO group gives access to its members now and at each sign-in; leaving it removes access', async () => {
    const prof = await faculty();
    const { id } = await createNamespace(deps(), as(prof), { label: unique('course') });
    const group = `osd700-${unique('g')}`;
    const already = await student([group]);
    const { members } = await linkGroup(deps(), as(prof), id, group, 'editor');
    expect(members).toBe(1);
    expect((await requireRole(db(), already, id, 'editor')).role).toBe('editor');

    // A new person signs in with the group: they are an editor at once.
    const name = unique('newbie');
    const newbie = await signIn(name, [group]);
    expect((await requireRole(db(), newbie, id, 'editor')).role).toBe('editor');
    // Next term they are no longer in the group: access ends at this sign-in.
    await signIn(name, []);
    expect((await rejects(requireRole(db(), newbie, id, 'viewer'))).code).toBe('NOT_FOUND');
    // A direct grant outlives the group.
    await grantMember(deps(), as(prof), id, name, 'viewer');
    await signIn(name, [group]);
    expect((await membersOf(db(), id)).people.find((p) => p.userId === newbie.id)).toMatchObject({
      role: 'editor',
      direct: 'viewer',
      groups: [group],
    });
    await unlinkGroup(deps(), as(prof), id, group);
    expect((await requireRole(db(), newbie, id, 'viewer')).role).toBe('viewer');
    expect((await rejects(requireRole(db(), already, id, 'viewer'))).code).toBe('NOT_FOUND');
  });

  test("deleting the last owner's account flags the namespace for admins", async () => {
    const prof = await faculty();
    const admin = await insertUser(db(), { role: 'admin', username: unique('adm') });
    const { id } = await createNamespace(deps(), as(prof), { label: unique('orphan') });
    await deleteUser(
      { db: db(), config: t.config, clock: t.container.clock, queue: t.container.queue },
      { user: admin, requestId: null },
      prof.id,
    );
    const ns = (await findNamespaceById(db(), id))!;
    expect(ns.orphaned_at).not.toBeNull();
    // The label stays with the namespace (no one can take it over by signing in).
    await expect(signIn(ns.label, [])).rejects.toThrow(/shared namespace/);
  });
  test("a namespace's records follow its own limit and end with its term", async () => {
    const prof = await faculty();
    const editor = await student();
    const endsAt = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const { id, account_id } = await createNamespace(deps(), as(prof), {
      label: unique('term'),
      recordLimit: '2',
      endsAt,
    });
    await grantMember(deps(), as(prof), id, editor.username, 'editor');
    const account = (await db()
      .selectFrom('users')
      .selectAll()
      .where('id', '=', account_id)
      .executeTakeFirst())!;
    // The editor acts for the namespace: the audit log names the person and the namespace's account.
    const forNs: Actor = { user: editor, effectiveUser: account, requestId: null };
    const recordDeps = { ...deps(), queue: t.container.queue };
    const a = await createDnsRecord(recordDeps, forNs, {
      subdomain: 'www',
      type: 'A',
      value: '192.0.2.1',
      priority: '',
    });
    // The record lifetime (182 days) is cut to the end of term.
    expect(a.expires_at).toBe(Date.parse(`${endsAt}T23:59:59Z`));
    await createDnsRecord(recordDeps, forNs, {
      subdomain: 'api',
      type: 'A',
      value: '192.0.2.2',
      priority: '',
    });
    const over = await rejects(
      createDnsRecord(recordDeps, forNs, {
        subdomain: 'more',
        type: 'A',
        value: '192.0.2.3',
        priority: '',
      }),
    );
    expect(over.code).toBe('LIMIT_EXCEEDED');
    expect(over.message).toMatch(/namespace has reached its limit of 2/);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['actor_username', 'effective_username'])
      .where('action', '=', 'dns-record.create')
      .where('effective_user_id', '=', account_id)
      .execute();
    expect(audit).toEqual([
      { actor_username: editor.username, effective_username: account.username },
      { actor_username: editor.username, effective_username: account.username },
    ]);
    // A person's records keep the operator's lifetime.
    const person = await student();
    const mine = await createDnsRecord(recordDeps, as(person), {
      subdomain: 'www',
      type: 'A',
      value: '192.0.2.1',
      priority: '',
    });
    expect(mine.expires_at - t.container.clock.now()).toBeGreaterThan(100 * 86_400_000);
  });
  test("a namespace's reminders go to each owner, one digest each, never to its account", async () => {
    const prof = await faculty();
    const coOwner = await faculty();
    const editor = await student();
    const { id, account_id, label } = await createNamespace(deps(), as(prof), {
      label: unique('remind'),
    });
    await grantMember(deps(), as(prof), id, coOwner.username, 'owner');
    await grantMember(deps(), as(prof), id, editor.username, 'editor');
    const now = t.container.clock.now();
    const account = (await db()
      .selectFrom('users')
      .selectAll()
      .where('id', '=', account_id)
      .executeTakeFirst())!;
    for (const sub of ['www', 'api']) await insertRecord(db(), account, sub, 'A', '192.0.2.1');
    await db()
      .updateTable('dns_records')
      .set({ expires_at: now + 5 * 86_400_000 })
      .where('user_id', '=', account_id)
      .execute();
    const remind = () =>
      sendDueReminders({
        db: db(),
        now,
        thresholdsDays: [30, 7, 1],
        email: { productName: 'My.Custom.Domain', appUrl: 'http://localhost:8080' },
        rootDomain: 'starchart.test',
      });
    const ids = await remind();
    const sent = await db()
      .selectFrom('email_outbox')
      .select(['to_address', 'text_body'])
      .where('id', 'in', ids.length > 0 ? ids : [-1])
      .orderBy('to_address')
      .execute();
    expect(sent.map((e) => e.to_address).sort()).toEqual([prof.email, coOwner.email].sort());
    for (const e of sent) {
      expect(e.text_body).toContain(`shared namespace ${label}`);
      expect(e.text_body).toContain(`www.${label}.`);
      expect(e.text_body).toContain(`api.${label}.`);
    }
    // The next scan sends nothing new.
    expect(await remind()).toEqual([]);
  });
});
