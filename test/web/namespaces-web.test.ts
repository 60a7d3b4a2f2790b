/**
 * The shared-namespace pages (issue 20): the list and its empty state, creation (who may, field
 * errors kept), one namespace's page (members, groups, records read-only), adding and removing members,
 * linking and unlinking groups, leaving; confirmation before every removal, CSRF, and authorisation
 * (a stranger gets 404, a viewer or editor 403 on owner actions), the last-owner refusal. Both dialects.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { User } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/dns-records/audit.js';
import {
  createNamespace,
  grantMember,
  linkGroup,
  membersOf,
} from '../../src/domain/namespaces/namespaces.js';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

const as = (user: User): Actor => ({ user, effectiveUser: user, requestId: null });

describe.each(DIALECTS)('Namespace pages (%s)', (dialect) => {
  let t: TestApp;
  let prof: User;
  let student: User;
  let stranger: User;
  let p: Agent;
  const db = () => t.container.dbh.db;
  const deps = () => ({ db: db(), clock: t.container.clock, config: t.config });
  let n = 0;
  const label = (prefix: string) => `${prefix}${process.pid % 1000}x${++n}`;

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    prof = await insertUser(db(), { role: 'faculty', display_name: 'Prof Ada' });
    student = await insertUser(db(), { display_name: 'Sam Student' });
    stranger = await insertUser(db());
    p = await t.agent(prof);
  });
  afterAll(async () => t?.cleanup());

  const makeNs = async (owner = prof) =>
    createNamespace(deps(), as(owner), { label: label('ns'), description: 'Course team' });

  test('the list: in the navigation, an empty state for students without a create button', async () => {
    const anon = await t.request('/namespaces');
    expect(anon.status).toBe(302);
    expect(anon.headers.get('location')).toBe('/login?redirectTo=%2Fnamespaces');
    const s = await t.agent(await insertUser(db()));
    const html = await (await s.get('/namespaces')).text();
    expect(html).toMatch(
      /<a href="\/namespaces" aria-current="page">(<svg[^>]*>.*?<\/svg>)?Namespaces<\/a>/,
    );
    expect(html).toContain('id="namespaces-empty"');
    expect(html).toContain('Your instructor creates a namespace');
    expect(html).not.toContain('href="/namespaces/new"');
    expect((await s.get('/namespaces/new')).status).toBe(403);
    const post = await s.post('/namespaces', { label: label('nope') });
    expect(post.status).toBe(403);
  });

  test('faculty create one: field errors re-render the form with values kept', async () => {
    const list = await (await p.get('/namespaces')).text();
    expect(list).toContain('href="/namespaces/new"');
    const form = await p.get('/namespaces/new');
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="recordLimit"');

    const bad = await p.post('/namespaces', {
      label: 'www',
      description: 'Kept text',
      recordLimit: 'lots',
      endsAt: '2020-01-01',
    });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('Please correct the highlighted fields.');
    expect(html).toContain('is kept for the service itself');
    expect(html).toContain('Enter a whole number from 1 to 10000');
    expect(html).toContain('Choose a date in the future.');
    expect(html).toContain('>Kept text</textarea>');
    expect(html).toContain('aria-invalid="true"');

    // A person's username is taken: 409 with the field message.
    const taken = await p.post('/namespaces', { label: stranger.dns_label });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('This name belongs to a person or another namespace.');

    const name = label('osd');
    const end = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10);
    const ok = await p.post('/namespaces', {
      label: name,
      description: 'OSD700 projects',
      recordLimit: '20',
      endsAt: end,
    });
    expect(ok.status).toBe(303);
    const loc = ok.headers.get('location')!;
    expect(loc).toMatch(/^\/namespaces\/\d+\?done=created$/);
    const page = await (await p.get(loc)).text();
    expect(page).toContain('Namespace created.');
    expect(page).toContain(`${name}.${t.config.rootDomain}`);
    expect(page).toContain('OSD700 projects');
    expect(page).toContain(end);
    expect(page).toContain('0 of 20');
    const again = await (await p.get('/namespaces')).text();
    expect(again).toContain(`href="${loc.split('?')[0]}"`);
    expect(again).toContain('OSD700 projects');
  });

  test('the page: stranger 404, members see members, groups and records read-only', async () => {
    const ns = await makeNs();
    await grantMember(deps(), as(prof), ns.id, student.username, 'viewer');
    await linkGroup(deps(), as(prof), ns.id, 'osd-group', 'editor');
    await insertRecord(db(), { id: ns.account_id } as User, 'www', 'A', '192.0.2.7');

    const s = await t.agent(stranger);
    expect((await s.get(`/namespaces/${ns.id}`)).status).toBe(404);
    expect((await s.get('/namespaces/abc')).status).toBe(404);
    expect((await s.get('/namespaces/99999999')).status).toBe(404);

    const v = await t.agent(student);
    const html = await (await v.get(`/namespaces/${ns.id}`)).text();
    expect(html).toContain('Prof Ada');
    expect(html).toContain('osd-group');
    expect(html).toContain('192.0.2.7');
    expect(html).toContain(`www.${ns.label}.${t.config.rootDomain}`);
    // A viewer has no owner forms; they can leave.
    expect(html).not.toContain('name="member"');
    expect(html).not.toContain('name="group"');
    expect(html).toContain(`href="/namespaces/${ns.id}/leave"`);

    // An admin who is not a member sees it as an owner.
    const admin = await t.agent(await insertUser(db(), { role: 'admin' }));
    const adm = await admin.get(`/namespaces/${ns.id}`);
    expect(adm.status).toBe(200);
    expect(await adm.text()).toContain('as an administrator');
  });

  test('owners add members (username or email); unknown people and bad roles are field errors', async () => {
    const ns = await makeNs();
    await p.get(`/namespaces/${ns.id}`);
    const unknown = await p.post(`/namespaces/${ns.id}/members`, {
      member: 'nobody-here',
      role: 'editor',
    });
    expect(unknown.status).toBe(400);
    const uh = await unknown.text();
    expect(uh).toContain('No one has signed in as “nobody-here” yet.');
    expect(uh).toContain('value="nobody-here"');

    const badRole = await p.post(`/namespaces/${ns.id}/members`, {
      member: student.username,
      role: 'king',
    });
    expect(badRole.status).toBe(400);
    expect(await badRole.text()).toContain('Choose owner, editor or viewer.');

    const ok = await p.post(`/namespaces/${ns.id}/members`, {
      member: student.email.toUpperCase(),
      role: 'editor',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/namespaces/${ns.id}?done=member-added#members`);
    const { people } = await membersOf(db(), ns.id);
    expect(people.find((x) => x.userId === student.id)?.role).toBe('editor');
  });

  test('an editor cannot manage members or groups (403); a stranger gets 404 on writes', async () => {
    const ns = await makeNs();
    await grantMember(deps(), as(prof), ns.id, student.username, 'editor');
    const e = await t.agent(student);
    await e.get(`/namespaces/${ns.id}`);
    const add = await e.post(`/namespaces/${ns.id}/members`, {
      member: stranger.username,
      role: 'owner',
    });
    expect(add.status).toBe(403);
    expect(await add.text()).toContain(`Only the owners of ${ns.label} can do this.`);
    expect(
      (await e.post(`/namespaces/${ns.id}/groups`, { group: 'g', role: 'owner' })).status,
    ).toBe(403);
    expect((await e.get(`/namespaces/${ns.id}/members/${prof.id}/remove`)).status).toBe(403);
    expect(
      (await e.post(`/namespaces/${ns.id}/members/${prof.id}/remove`, { confirm: 'yes' })).status,
    ).toBe(403);
    const s = await t.agent(stranger);
    await s.get('/namespaces');
    expect(
      (await s.post(`/namespaces/${ns.id}/members`, { member: stranger.username, role: 'owner' }))
        .status,
    ).toBe(404);
    expect((await membersOf(db(), ns.id)).people).toHaveLength(2);
  });

  test('removing a member asks first (page and dialog); the last owner cannot be removed', async () => {
    const ns = await makeNs();
    await grantMember(deps(), as(prof), ns.id, student.username, 'viewer');
    const page = await (await p.get(`/namespaces/${ns.id}`)).text();
    expect(page).toContain(
      `href="/namespaces/${ns.id}/members/${student.id}/remove" data-dialog=""`,
    );

    const confirm = await p.get(`/namespaces/${ns.id}/members/${student.id}/remove`);
    expect(confirm.status).toBe(200);
    const ch = await confirm.text();
    expect(ch).toContain('<h1 id="confirm-title">Remove member</h1>');
    expect(ch).toContain('Sam Student');
    const dialog = await (
      await p.get(`/namespaces/${ns.id}/members/${student.id}/remove`, { 'hx-request': 'true' })
    ).text();
    expect(dialog).not.toContain('<html');
    expect(dialog).toContain('<h2 id="confirm-title">');

    // A bare POST (no confirm=yes) asks again and changes nothing.
    const bare = await p.post(`/namespaces/${ns.id}/members/${student.id}/remove`);
    expect(bare.status).toBe(200);
    expect(await bare.text()).toContain('confirm-title');
    expect((await membersOf(db(), ns.id)).people).toHaveLength(2);

    // Without the CSRF token: refused.
    const noCsrf = await p.post(
      `/namespaces/${ns.id}/members/${student.id}/remove`,
      { confirm: 'yes' },
      { csrf: false },
    );
    expect(noCsrf.status).toBe(403);
    expect((await membersOf(db(), ns.id)).people).toHaveLength(2);

    const done = await p.post(`/namespaces/${ns.id}/members/${student.id}/remove`, {
      confirm: 'yes',
    });
    expect(done.status).toBe(303);
    expect((await membersOf(db(), ns.id)).people).toHaveLength(1);

    // The only owner has no Remove button; pressing it anyway (a crafted POST): a clear 409.
    const alone = await (await p.get(`/namespaces/${ns.id}`)).text();
    expect(alone).toContain('only owner');
    expect(alone).not.toContain(`/members/${prof.id}/remove`);
    const last = await p.post(`/namespaces/${ns.id}/members/${prof.id}/remove`, { confirm: 'yes' });
    expect(last.status).toBe(409);
    expect(await last.text()).toContain('needs at least one owner');
    expect((await membersOf(db(), ns.id)).people).toHaveLength(1);
    // Demoting the last owner through the add form: a field error.
    const demote = await p.post(`/namespaces/${ns.id}/members`, {
      member: prof.username,
      role: 'viewer',
    });
    expect(demote.status).toBe(409);
    expect(await demote.text()).toContain('This would leave the namespace without an owner.');
  });

  test('groups: link with field errors, unlink after a confirmation', async () => {
    const ns = await makeNs();
    await p.get(`/namespaces/${ns.id}`);
    const empty = await p.post(`/namespaces/${ns.id}/groups`, { group: ' ', role: 'viewer' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Enter the group');
    const linked = await p.post(`/namespaces/${ns.id}/groups`, {
      group: 'team a&b',
      role: 'viewer',
    });
    expect(linked.status).toBe(303);
    const page = await (await p.get(linked.headers.get('location')!)).text();
    expect(page).toContain('Group linked.');
    expect(page).toContain(`href="/namespaces/${ns.id}/groups/unlink?group=team%20a%26b"`);

    const confirm = await p.get(`/namespaces/${ns.id}/groups/unlink?group=team%20a%26b`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Unlink group');
    expect((await p.get(`/namespaces/${ns.id}/groups/unlink?group=other`)).status).toBe(404);
    const bare = await p.post(`/namespaces/${ns.id}/groups/unlink?group=team%20a%26b`);
    expect(bare.status).toBe(200);
    expect((await membersOf(db(), ns.id)).groups).toHaveLength(1);
    const noCsrf = await p.post(
      `/namespaces/${ns.id}/groups/unlink?group=team%20a%26b`,
      { confirm: 'yes' },
      { csrf: false },
    );
    expect(noCsrf.status).toBe(403);
    const done = await p.post(`/namespaces/${ns.id}/groups/unlink?group=team%20a%26b`, {
      confirm: 'yes',
    });
    expect(done.status).toBe(303);
    expect((await membersOf(db(), ns.id)).groups).toHaveLength(0);
  });

  test('a member leaves after a confirmation; CSRF is enforced on creation and adding', async () => {
    const ns = await makeNs();
    await grantMember(deps(), as(prof), ns.id, student.username, 'viewer');
    const v = await t.agent(student);
    const confirm = await v.get(`/namespaces/${ns.id}/leave`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Leave namespace');
    const left = await v.post(`/namespaces/${ns.id}/leave`, { confirm: 'yes' });
    expect(left.status).toBe(303);
    expect(left.headers.get('location')).toBe('/namespaces?done=left');
    expect((await v.get(`/namespaces/${ns.id}`)).status).toBe(404);

    await p.get('/namespaces/new');
    const name = label('csrf');
    expect((await p.post('/namespaces', { label: name }, { csrf: false })).status).toBe(403);
    expect((await p.post('/namespaces', { label: name })).status).toBe(303);
    expect(
      (
        await p.post(
          `/namespaces/${ns.id}/members`,
          { member: stranger.username, role: 'viewer' },
          { csrf: false },
        )
      ).status,
    ).toBe(403);
  });
});
