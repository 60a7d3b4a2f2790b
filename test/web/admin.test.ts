/**
 * /admin on both dialects: every admin route and action as anonymous, student, faculty (404, nothing
 * changes) and admin; cookie tampering; impersonation (server-side only, never of an admin, audited as
 * "admin as user"); suspend/unsuspend/delete (confirmation, never oneself); blocked labels; search;
 * the audit log (each action exactly once, filters) and each user's own history.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { WITHDRAWN_MESSAGE, deleteUser, suspendUser } from '../../src/domain/admin/users.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

describe.each(DIALECTS)('admin (%s)', (dialect) => {
  let t: TestApp;
  let admin: User;
  let student: User;
  let faculty: User;
  let otherAdmin: User;
  let target: User;
  let targetRecord: number;
  const db = () => t.container.dbh.db;

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    admin = await insertUser(db(), { role: 'admin', display_name: 'Ada Admin' });
    otherAdmin = await insertUser(db(), { role: 'admin' });
    student = await insertUser(db(), { role: 'student', display_name: 'Sam Student' });
    faculty = await insertUser(db(), { role: 'faculty' });
    target = await insertUser(db(), { role: 'student', display_name: 'Tara Target' });
    targetRecord = await insertRecord(db(), target, 'www', 'A', '192.0.2.7');
    await db()
      .insertInto('blocked_labels')
      .values({ label: 'already', reason: null, created_at: Date.now() })
      .execute();
  });
  afterAll(async () => t?.cleanup());

  /** Everything an admin action could change, to prove a refused request changed nothing. */
  const fingerprint = async () =>
    JSON.stringify({
      users: await db()
        .selectFrom('users')
        .select(['id', 'suspended_at', 'role'])
        .orderBy('id')
        .execute(),
      records: await db()
        .selectFrom('dns_records')
        .select(['id', 'subdomain', 'type', 'value', 'status'])
        .orderBy('id')
        .execute(),
      labels: await db().selectFrom('blocked_labels').select('label').orderBy('label').execute(),
      audit: await db()
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
        .then((r) => Number(r?.n)),
      impersonating: await db()
        .selectFrom('sessions')
        .select('impersonated_user_id')
        .where('impersonated_user_id', 'is not', null)
        .execute(),
      sessions: await db()
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
        .then((r) => Number(r?.n)),
    });

  const auditRows = (action: string) =>
    db().selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

  const anonymousAgent = async () => {
    const a = await t.agent();
    await a.get('/login');
    // The anonymous CSRF cookie is `token.signature`: a real browser form would carry the token.
    const signed = a.cookies.get('__csrf')!;
    a.csrfToken = signed.slice(0, signed.lastIndexOf('.'));
    return a;
  };

  const routes = (): { method: 'GET' | 'POST'; path: string; form?: Record<string, string> }[] => [
    { method: 'GET', path: '/admin' },
    { method: 'GET', path: '/admin?q=tara' },
    { method: 'GET', path: `/admin/users/${target.id}` },
    { method: 'GET', path: `/admin/users/${target.id}/suspend` },
    { method: 'GET', path: `/admin/users/${target.id}/delete` },
    { method: 'GET', path: `/admin/users/${target.id}/records/${targetRecord}` },
    { method: 'GET', path: `/admin/users/${target.id}/records/${targetRecord}/delete` },
    { method: 'GET', path: '/admin/blocked-labels' },
    { method: 'GET', path: '/admin/certificates' },
    { method: 'GET', path: '/admin/audit' },
    { method: 'GET', path: '/admin/audit?user=x&action=admin.' },
    { method: 'GET', path: '/admin/no-such-page' },
    { method: 'POST', path: `/admin/users/${target.id}/impersonate` },
    { method: 'POST', path: '/admin/impersonation/stop' },
    { method: 'POST', path: `/admin/users/${target.id}/suspend`, form: { confirm: 'yes' } },
    { method: 'GET', path: `/admin/users/${target.id}/unsuspend` },
    { method: 'POST', path: `/admin/users/${target.id}/unsuspend`, form: { confirm: 'yes' } },
    {
      method: 'POST',
      path: `/admin/users/${target.id}/delete`,
      form: { confirm: 'yes', username: target.username },
    },
    {
      method: 'POST',
      path: `/admin/users/${target.id}/records/${targetRecord}`,
      form: { subdomain: 'hacked', type: 'A', value: '203.0.113.1' },
    },
    {
      method: 'POST',
      path: `/admin/users/${target.id}/records/${targetRecord}/delete`,
      form: { confirm: 'yes' },
    },
    { method: 'POST', path: '/admin/blocked-labels', form: { label: 'newblock' } },
    { method: 'GET', path: '/admin/blocked-labels/already/unblock' },
    { method: 'POST', path: '/admin/blocked-labels/already/unblock', form: { confirm: 'yes' } },
  ];

  test.each(['anonymous', 'student', 'faculty'] as const)(
    'as %s every admin route and action answers 404 and changes nothing',
    async (who) => {
      const agent =
        who === 'anonymous'
          ? await anonymousAgent()
          : await t.agent(who === 'student' ? student : faculty);
      const before = await fingerprint();
      const notFoundPage = await (await agent.get('/definitely-not-a-page')).text();
      for (const r of routes()) {
        const res =
          r.method === 'GET' ? await agent.get(r.path) : await agent.post(r.path, r.form ?? {});
        expect(res.status, `${r.method} ${r.path}`).toBe(404);
        const text = await res.text();
        // Indistinguishable from an unknown page: nothing reveals that the route exists.
        expect(text).toContain('We could not find what you were looking for.');
        expect(text.length).toBeLessThan(notFoundPage.length + 400);
        // htmx requests too.
        if (r.method === 'GET')
          expect((await agent.get(r.path, { 'hx-request': 'true' })).status).toBe(404);
      }
      expect(await fingerprint()).toBe(before);
    },
  );

  test('as admin every admin page renders', async () => {
    const a = await t.agent(admin);
    for (const r of routes().filter((x) => x.method === 'GET' && !x.path.includes('no-such'))) {
      const res = await a.get(r.path);
      // The target is not suspended: there is nothing to confirm, back to the user's page.
      expect(res.status, r.path).toBe(r.path.endsWith('/unsuspend') ? 303 : 200);
    }
    expect((await a.get('/admin/no-such-page')).status).toBe(404);
    const home = await (await a.get('/')).text();
    expect(home).toContain('href="/admin"');
  });

  test('a student who tampers with the cookies the code reads reaches nothing else', async () => {
    const s = await t.agent(student);
    const a = await t.agent(admin);
    const targetAgent = await t.agent(target);
    const before = await fingerprint();
    // The original trusted a plain effectiveUsername cookie. Here the browser's only say is what the
    // code reads: the signed __session cookie (the anonymous __csrf and the sign-out __slo cookies
    // are signed the same way). Values a forgeable design would trust, sent as raw Cookie headers
    // (duplicates included): the admin's or the target's token beside or instead of the student's
    // own, with the student's signature, and the admin's session row id (the database's key).
    const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
    const tokenOf = (cookie: string) => cookie.slice(0, cookie.lastIndexOf('.'));
    const mine = s.cookies.get('__session')!;
    const mySignature = mine.slice(mine.lastIndexOf('.') + 1);
    const adminToken = tokenOf(a.cookies.get('__session')!);
    const targetToken = tokenOf(targetAgent.cookies.get('__session')!);
    for (const cookie of [
      `__session=${mine}; __session=${adminToken}`,
      `__session=${adminToken}; __session=${mine}`,
      `__session=${mine}; __session=${adminToken}.${mySignature}`,
      `__session=${targetToken}.${mySignature}; __session=${mine}`,
      `__session=${sha256(adminToken)}`,
      `__session=${sha256(adminToken)}.${mySignature}`,
      `__session=${mine}; __csrf=${adminToken}.${mySignature}; __slo=${adminToken}.${mySignature}`,
      // The original's cookie, should anything ever read it again.
      `__session=${mine}; effectiveUsername=${target.username}`,
    ]) {
      const get = (p: string) => t.request(p, { headers: { cookie } });
      expect((await get('/admin')).status, cookie).toBe(404);
      const home = await get('/');
      // Signed in as the student (the cookie the code picks is the student's own), or not at all.
      if (home.status !== 302) {
        expect(home.status, cookie).toBe(200);
        const html = await home.text();
        expect(html).toContain('Sam Student');
        for (const other of ['Tara Target', 'Ada Admin', 'Impersonating'])
          expect(html, cookie).not.toContain(other);
        expect(await (await get('/dns-records')).text()).not.toContain('192.0.2.7');
      }
      expect((await get(`/dns-records/${targetRecord}`)).status).not.toBe(200);
      const imp = await t.request(`/admin/users/${target.id}/impersonate`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: `_csrf=${encodeURIComponent(s.csrfToken!)}`,
      });
      expect([403, 404], cookie).toContain(imp.status);
    }

    // Tampered session cookies: a flipped character, the admin's token with the student's
    // signature, an unsigned token, a self-made signature → not signed in at all.
    const good = mine;
    const flip = (v: string, i: number) =>
      v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
    for (const forged of [
      flip(good, 3),
      flip(good, good.length - 2),
      `${adminToken}.${good.split('.')[1]}`,
      adminToken,
      `${adminToken}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
      `${good}x`,
    ]) {
      const f = await t.agent();
      f.cookies.set('__session', forged);
      expect((await f.get('/admin')).status, forged).toBe(404);
      expect((await f.get('/')).status).toBe(302);
      f.csrfToken = s.csrfToken;
      expect(
        [403, 404].includes((await f.post(`/admin/users/${target.id}/impersonate`)).status),
      ).toBe(true);
    }
    expect(await fingerprint()).toBe(before);

    // Even a session row pointing at someone else does nothing for a non-admin: it is cleared (and
    // audited as an impersonation that ended because the account is not an admin).
    const sessionId = sha256(tokenOf(good));
    await db()
      .updateTable('sessions')
      .set({ impersonated_user_id: target.id })
      .where('id', '=', sessionId)
      .execute();
    const again = await s.get('/');
    expect(again.status).toBe(409);
    const html = await again.text();
    expect(html).toContain('Sam Student');
    expect(html).not.toContain('Tara Target');
    expect(html).toContain('Impersonation ended because your account is no longer an admin.');
    const row = await db()
      .selectFrom('sessions')
      .select('impersonated_user_id')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(row.impersonated_user_id).toBeNull();
    const home = await (await s.get('/')).text();
    expect(home).toContain('Sam Student');
    expect(home).not.toContain('Tara Target');
    const ended = (await auditRows('admin.impersonate.stop')).filter(
      (r) => r.actor_user_id === student.id,
    );
    expect(ended.map((r) => JSON.parse(r.after_json!))).toEqual([{ ended: 'not-admin' }]);
  });

  test('impersonation: server-side, shown plainly, audited as admin-as-user, stops once', async () => {
    const a = await t.agent(admin);
    const cookiesBefore = new Map(a.cookies);
    const start = await a.post(`/admin/users/${student.id}/impersonate`);
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('/');
    // Nothing the browser holds changed: the state is in the session row.
    expect(start.headers.getSetCookie()).toEqual([]);
    expect(a.cookies).toEqual(cookiesBefore);
    const home = await (await a.get('/')).text();
    expect(home).toContain('Impersonating: Sam Student');
    expect(home).toContain('action="/admin/impersonation/stop"');
    expect(home).toContain('Stop impersonating');

    // Acting as the student: the record belongs to the student, the audit names both.
    const created = await a.post('/dns-records/new', {
      subdomain: 'imp',
      type: 'A',
      value: '192.0.2.99',
    });
    expect(created.status).toBe(303);
    const rec = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('subdomain', '=', 'imp')
      .executeTakeFirstOrThrow();
    expect(rec.user_id).toBe(student.id);
    const [createAudit] = (await auditRows('dns-record.create')).filter(
      (r) => r.target_id === String(rec.id),
    );
    expect(createAudit).toMatchObject({
      actor_user_id: admin.id,
      effective_user_id: student.id,
      actor_username: admin.username,
      effective_username: student.username,
    });
    expect(createAudit!.request_id).toEqual(expect.any(String));

    // An impersonating admin still reaches /admin (to browse or stop).
    expect((await a.get('/admin')).status).toBe(200);
    // History while impersonating shows it as "admin for student".
    const hist = await (await a.get('/history')).text();
    expect(hist).toContain('dns-record.create');

    // As the banner's form posts it (its token was derived for the student).
    const stopForm = { _as: String(student.id) };
    const stop = await a.post('/admin/impersonation/stop', stopForm);
    expect(stop.status).toBe(303);
    expect(stop.headers.get('location')).toBe(`/admin/users/${student.id}?done=stopped`);
    // Double submit of the same form: still a plain redirect, not a "form expired" page.
    expect((await a.post('/admin/impersonation/stop', stopForm)).status).toBe(303);
    // That token is good for stopping only, and only with the user it was made for.
    expect((await a.post('/admin/impersonation/stop', { _as: String(admin.id) })).status).toBe(403);
    expect(
      (await a.post('/dns-records/new', { subdomain: 'x', type: 'A', value: '192.0.2.1' })).status,
    ).toBe(403);
    const after = await (await a.get('/')).text();
    expect(after).not.toContain('Impersonating');
    expect(after).toContain('Ada Admin');

    const starts = (await auditRows('admin.impersonate.start')).filter(
      (r) => r.actor_user_id === admin.id && r.effective_user_id === student.id,
    );
    const stops = (await auditRows('admin.impersonate.stop')).filter(
      (r) => r.actor_user_id === admin.id && r.effective_user_id === student.id,
    );
    expect(starts).toHaveLength(1);
    expect(stops).toHaveLength(1);
    expect(JSON.parse(starts[0]!.after_json!)).toEqual({ impersonating: student.username });
  });

  test('a form rendered while acting as one account is refused once the admin acts as another (two tabs), instead of being applied to the wrong account', async () => {
    const acting = await insertUser(db(), { role: 'admin', display_name: 'Two Tabs' });
    const victim = await insertUser(db(), { display_name: 'Tab Victim' });
    const a = await t.agent(acting);
    const records = () =>
      db()
        .selectFrom('dns_records')
        .select(['user_id', 'subdomain'])
        .where('user_id', 'in', [acting.id, victim.id])
        .execute();
    const tokenOf = async (path: string) =>
      /name="_csrf" value="([^"]+)"/.exec(await (await a.get(path)).text())![1]!;
    const submit = (token: string, subdomain: string) =>
      a.post('/dns-records/new', { subdomain, type: 'A', value: '192.0.2.7', _csrf: token });

    // Tab 1 opens the form as the admin; tab 2 starts acting as the victim.
    const asSelf = await tokenOf('/dns-records/new');
    expect((await a.post(`/admin/users/${victim.id}/impersonate`)).status).toBe(303);
    const asVictim = await tokenOf('/dns-records/new');
    expect(asVictim).not.toBe(asSelf);
    // Tab 1's form would now act for the victim: refused, nothing written.
    const stale = await submit(asSelf, 'stale-self');
    expect(stale.status).toBe(403);
    expect(await stale.text()).toContain('Reload the page');
    // Tab 2 stops acting as the victim; its earlier form would act for the admin: refused too.
    expect((await a.post('/admin/impersonation/stop', { _as: String(victim.id) })).status).toBe(
      303,
    );
    expect((await submit(asVictim, 'stale-victim')).status).toBe(403);
    expect(await records()).toEqual([]);
    // A freshly loaded form works for whoever the page said.
    expect((await submit(await tokenOf('/dns-records/new'), 'fresh')).status).toBe(303);
    expect(await records()).toEqual([{ user_id: acting.id, subdomain: 'fresh' }]);
  });

  test('impersonation is checked on every request: it ends, audited, with a message, and the request is not carried out, once the target becomes an admin, is suspended or deleted, or the admin loses the role', async () => {
    const records = () => db().selectFrom('dns_records').select(['user_id', 'subdomain']);
    const impersonating = (a: Awaited<ReturnType<TestApp['agent']>>) =>
      db()
        .selectFrom('sessions')
        .select(['impersonated_user_id', 'impersonation_ended'])
        .where(
          'id',
          '=',
          createHash('sha256').update(a.cookies.get('__session')!.split('.')[0]!).digest('hex'),
        )
        .executeTakeFirstOrThrow();
    const cases: {
      change: (u: User, acting: User) => Promise<unknown>;
      location: (u: User) => string;
      notice: string | null;
      reason: string;
    }[] = [
      {
        change: (u) =>
          db().updateTable('users').set({ role: 'admin' }).where('id', '=', u.id).execute(),
        location: (u) => `/admin/users/${u.id}?done=impersonation-ended-admin`,
        notice: 'Impersonation ended: this user is now an admin',
        reason: 'target-admin',
      },
      {
        change: (u) =>
          db()
            .updateTable('users')
            .set({ suspended_at: Date.now() })
            .where('id', '=', u.id)
            .execute(),
        location: (u) => `/admin/users/${u.id}?done=impersonation-ended-suspended`,
        notice: 'Impersonation ended: this user is suspended.',
        reason: 'target-suspended',
      },
      {
        // Through the admin page, as another admin would.
        change: async (u) =>
          (await t.agent(otherAdmin)).post(`/admin/users/${u.id}/delete`, {
            confirm: 'yes',
            username: u.username,
          }),
        location: () => '/admin?done=impersonation-ended',
        notice: 'Impersonation ended: the user you were impersonating was deleted.',
        reason: 'target-deleted',
      },
      {
        change: (_u, acting) =>
          db().updateTable('users').set({ role: 'faculty' }).where('id', '=', acting.id).execute(),
        location: () => '',
        notice: null,
        reason: 'not-admin',
      },
    ];
    for (const c of cases) {
      const acting = await insertUser(db(), { role: 'admin', display_name: `Acting ${c.reason}` });
      const victim = await insertUser(db(), { display_name: `Victim ${c.reason}` });
      const a = await t.agent(acting);
      expect((await a.post(`/admin/users/${victim.id}/impersonate`)).status).toBe(303);
      expect(await (await a.get('/dns-records')).text()).toContain('Impersonating: Victim');
      await c.change(victim, acting);

      // A form submitted for the victim is not carried out for anyone.
      const before = await records().execute();
      const res = await a.post('/dns-records/new', {
        subdomain: 'late',
        type: 'A',
        value: '192.0.2.5',
      });
      expect(await records().execute()).toEqual(before);
      if (c.reason === 'not-admin') {
        expect(res.status).toBe(409);
        expect(await res.text()).toContain('your account is no longer an admin');
      } else {
        expect(res.status, c.reason).toBe(303);
        expect(res.headers.get('location')).toBe(c.location(victim));
        expect(await (await a.get(c.location(victim))).text()).toContain(c.notice!);
      }
      expect(await impersonating(a)).toEqual({
        impersonated_user_id: null,
        impersonation_ended: null,
      });
      // Then the admin acts as themselves again, and knows it.
      const page = await (await a.get('/dns-records')).text();
      expect(page).not.toContain('Impersonating');
      const stops = (await auditRows('admin.impersonate.stop')).filter(
        (r) => r.actor_user_id === acting.id,
      );
      expect(stops.map((r) => [r.target_id, JSON.parse(r.after_json!)])).toEqual([
        [String(victim.id), { ended: c.reason }],
      ]);
    }
    // An htmx poll finds out too, and sends the page to the explanation.
    const acting = await insertUser(db(), { role: 'admin' });
    const victim = await insertUser(db());
    const a = await t.agent(acting);
    await a.post(`/admin/users/${victim.id}/impersonate`);
    await db().updateTable('users').set({ role: 'admin' }).where('id', '=', victim.id).execute();
    const poll = await a.get('/dns-records/status?ids=1', { 'hx-request': 'true' });
    expect(poll.headers.get('hx-redirect')).toBe(
      `/admin/users/${victim.id}?done=impersonation-ended-admin`,
    );
    // A suspended user cannot be impersonated in the first place.
    const suspended = await insertUser(db(), { suspended_at: Date.now() });
    const refused = await a.post(`/admin/users/${suspended.id}/impersonate`);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('is suspended');
  });

  test('an admin cannot impersonate an admin or themselves, nor suspend or delete themselves', async () => {
    const a = await t.agent(admin);
    const before = await fingerprint();
    const imp = await a.post(`/admin/users/${otherAdmin.id}/impersonate`);
    expect(imp.status).toBe(403);
    expect(await imp.text()).toContain('Admins cannot impersonate other admins.');
    expect((await a.post(`/admin/users/${admin.id}/impersonate`)).status).toBe(409);
    const sus = await a.post(`/admin/users/${admin.id}/suspend`, { confirm: 'yes' });
    expect(sus.status).toBe(409);
    expect(await sus.text()).toContain('You cannot suspend your own account.');
    const del = await a.post(`/admin/users/${admin.id}/delete`, {
      confirm: 'yes',
      username: admin.username,
    });
    expect(del.status).toBe(409);
    expect(await del.text()).toContain('You cannot delete your own account.');
    expect((await a.get(`/admin/users/${admin.id}/delete`)).status).toBe(409);
    expect((await a.get(`/admin/users/${admin.id}/suspend`)).status).toBe(409);
    expect((await a.post(`/admin/users/${admin.id}/unsuspend`)).status).toBe(409);
    const page = await (await a.get(`/admin/users/${admin.id}`)).text();
    expect(page).toContain('This is your own account');
    expect(page).not.toContain(`/admin/users/${admin.id}/impersonate`);
    // Unknown and malformed ids.
    expect((await a.post('/admin/users/99999999/impersonate')).status).toBe(404);
    expect((await a.get('/admin/users/abc')).status).toBe(404);
    expect(await fingerprint()).toBe(before);
  });

  test('suspend (with confirmation) ends sessions, withdraws records, refuses sign-in; unsuspend restores', async () => {
    const victim = await insertUser(db(), { display_name: 'Vic Victim' });
    const recId = await insertRecord(db(), victim, 'site', 'A', '192.0.2.50');
    const v = await t.agent(victim);
    expect((await v.get('/')).status).toBe(200);
    const a = await t.agent(admin);

    const ask = await a.post(`/admin/users/${victim.id}/suspend`);
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Suspend user');
    expect(
      (
        await db()
          .selectFrom('users')
          .select('suspended_at')
          .where('id', '=', victim.id)
          .executeTakeFirstOrThrow()
      ).suspended_at,
    ).toBeNull();

    const res = await a.post(`/admin/users/${victim.id}/suspend`, {
      confirm: 'yes',
      reason: 'phishing page',
    });
    expect(res.status).toBe(303);
    const u = await db()
      .selectFrom('users')
      .selectAll()
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(u.suspended_at).toEqual(expect.any(Number));
    expect((await v.get('/')).status).toBe(302);
    expect(
      await db().selectFrom('sessions').select('id').where('user_id', '=', victim.id).execute(),
    ).toEqual([]);
    const rec = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', recId)
      .executeTakeFirstOrThrow();
    expect([rec.status, rec.status_message]).toEqual(['pending', WITHDRAWN_MESSAGE]);
    const label = await db()
      .selectFrom('dns_labels')
      .selectAll()
      .where('label', '=', victim.dns_label)
      .executeTakeFirstOrThrow();
    expect(label.dirty_serial).not.toBeNull();
    const page = await (await a.get(`/admin/users/${victim.id}?done=suspended`)).text();
    expect(page).toContain('withdrawn');
    expect(page).toContain('User suspended');
    // A second suspend is a conflict, not a second audit row.
    expect((await a.post(`/admin/users/${victim.id}/suspend`, { confirm: 'yes' })).status).toBe(
      409,
    );
    const suspends = (await auditRows('admin.user.suspend')).filter(
      (r) => r.effective_user_id === victim.id,
    );
    expect(suspends).toHaveLength(1);
    expect(suspends[0]!.actor_user_id).toBe(admin.id);
    expect(JSON.parse(suspends[0]!.after_json!)).toMatchObject({ reason: 'phishing page' });

    expect((await a.post(`/admin/users/${victim.id}/unsuspend`, { confirm: 'yes' })).status).toBe(
      303,
    );
    expect((await a.post(`/admin/users/${victim.id}/unsuspend`, { confirm: 'yes' })).status).toBe(
      409,
    );
    const back = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', recId)
      .executeTakeFirstOrThrow();
    expect([back.status, back.status_message]).toEqual(['live', null]);
    expect(
      (
        await db()
          .selectFrom('users')
          .select('suspended_at')
          .where('id', '=', victim.id)
          .executeTakeFirstOrThrow()
      ).suspended_at,
    ).toBeNull();
    expect(
      (await auditRows('admin.user.unsuspend')).filter((r) => r.effective_user_id === victim.id),
    ).toHaveLength(1);
  });

  test('unsuspend asks first: GET shows a confirmation page, a POST without confirm=yes changes nothing', async () => {
    const held = await insertUser(db(), { display_name: 'Hal Held' });
    const recId = await insertRecord(db(), held, 'held', 'A', '192.0.2.60');
    const a = await t.agent(admin);
    expect(
      (await a.post(`/admin/users/${held.id}/suspend`, { confirm: 'yes', reason: 'test' })).status,
    ).toBe(303);
    const suspendedAt = async () =>
      (
        await db()
          .selectFrom('users')
          .select('suspended_at')
          .where('id', '=', held.id)
          .executeTakeFirstOrThrow()
      ).suspended_at;
    expect(await suspendedAt()).not.toBeNull();

    // The user page offers Unsuspend as a link to the confirmation page (app.js shows its question
    // in a <dialog>); no browser confirm().
    const userPage = await (await a.get(`/admin/users/${held.id}`)).text();
    expect(userPage).toContain(
      `<a class="btn secondary" href="/admin/users/${held.id}/unsuspend" data-dialog="">`,
    );
    expect(userPage).not.toContain('data-confirm');
    expect(userPage).not.toMatch(/action="\/admin\/users\/\d+\/unsuspend"/);

    const before = await fingerprint();
    const page = await a.get(`/admin/users/${held.id}/unsuspend`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1 id="confirm-title">Unsuspend user</h1>');
    expect(html).toContain(`Unsuspend <strong>${held.username}</strong>`);
    expect(html).toContain('1 DNS record return to DNS');
    expect(html).toContain('name="confirm" value="yes"');
    expect(html).toContain(`href="/admin/users/${held.id}"`); // Cancel
    for (const form of [{}, { confirm: '' }, { confirm: 'no' }] as Record<string, string>[]) {
      const res = await a.post(`/admin/users/${held.id}/unsuspend`, form);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<h1 id="confirm-title">Unsuspend user</h1>');
    }
    // The question alone, for the dialog (htmx request header): a lower heading, Cancel closes it.
    const part = await a.get(`/admin/users/${held.id}/unsuspend`, { 'hx-request': 'true' });
    expect(part.status).toBe(200);
    const partHtml = await part.text();
    expect(partHtml).not.toContain('<html');
    expect(partHtml).toContain('<h2 id="confirm-title">Unsuspend user</h2>');
    expect(partHtml).toContain('name="confirm" value="yes"');
    expect(partHtml).toContain('data-close=""');
    expect(await fingerprint()).toBe(before);
    expect(await suspendedAt()).not.toBeNull();
    expect(
      (await auditRows('admin.user.unsuspend')).filter((r) => r.effective_user_id === held.id),
    ).toHaveLength(0);

    const done = await a.post(`/admin/users/${held.id}/unsuspend`, { confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/admin/users/${held.id}?done=unsuspended`);
    expect(await suspendedAt()).toBeNull();
    const rec = await db()
      .selectFrom('dns_records')
      .select('status_message')
      .where('id', '=', recId)
      .executeTakeFirstOrThrow();
    expect(rec.status_message).toBeNull();
    // Not suspended any more: the confirmation page sends back to the user's page.
    const again = await a.get(`/admin/users/${held.id}/unsuspend`);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`/admin/users/${held.id}`);
  });

  test('suspending or deleting another admin asks a second time, on a page (no JavaScript needed), and is audited as an action against an admin', async () => {
    const a = await t.agent(admin);
    const userRow = (id: number) =>
      db().selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

    const peer = await insertUser(db(), { role: 'admin', display_name: 'Pat Peer' });
    const first = await (await a.get(`/admin/users/${peer.id}/suspend`)).text();
    expect(first).toContain('is an admin: you will be asked to confirm a second time');
    const ask = await a.post(`/admin/users/${peer.id}/suspend`, {
      confirm: 'yes',
      reason: 'account compromised',
    });
    expect(ask.status).toBe(200);
    const second = await ask.text();
    expect(second).toContain('Suspend an admin');
    expect(second).toContain('class="card narrow"');
    expect(second).toContain('name="confirm_admin" value="yes"');
    expect(second).toContain('name="reason" value="account compromised"');
    expect((await userRow(peer.id))!.suspended_at).toBeNull();
    const done = await a.post(`/admin/users/${peer.id}/suspend`, {
      confirm: 'yes',
      confirm_admin: 'yes',
      reason: 'account compromised',
    });
    expect(done.status).toBe(303);
    expect((await userRow(peer.id))!.suspended_at).toEqual(expect.any(Number));
    const suspends = (await auditRows('admin.user.suspend-admin')).filter(
      (r) => r.effective_user_id === peer.id,
    );
    expect(suspends).toHaveLength(1);
    expect(JSON.parse(suspends[0]!.after_json!)).toMatchObject({
      reason: 'account compromised',
      target_role: 'admin',
      confirmed_twice: true,
    });
    expect(
      (await auditRows('admin.user.suspend')).filter((r) => r.effective_user_id === peer.id),
    ).toEqual([]);

    const gone = await insertUser(db(), { role: 'admin', display_name: 'Gil Gone' });
    const typed = await a.post(`/admin/users/${gone.id}/delete`, {
      confirm: 'yes',
      username: gone.username,
    });
    expect(typed.status).toBe(200);
    const again = await typed.text();
    expect(again).toContain('Delete an admin');
    expect(again).toContain(`name="username" value="${gone.username}"`);
    expect(again).toContain('signing in again gives them a new, empty admin account');
    expect(await userRow(gone.id)).toBeDefined();
    // The typed username is still checked on the second step.
    expect(
      (
        await a.post(`/admin/users/${gone.id}/delete`, {
          confirm: 'yes',
          confirm_admin: 'yes',
          username: 'someone-else',
        })
      ).status,
    ).toBe(400);
    expect(await userRow(gone.id)).toBeDefined();
    const deleted = await a.post(`/admin/users/${gone.id}/delete`, {
      confirm: 'yes',
      confirm_admin: 'yes',
      username: gone.username,
    });
    expect(deleted.status).toBe(303);
    expect(await userRow(gone.id)).toBeUndefined();
    const deletes = (await auditRows('admin.user.delete-admin')).filter(
      (r) => r.effective_user_id === gone.id,
    );
    expect(deletes).toHaveLength(1);
    expect(JSON.parse(deletes[0]!.after_json!)).toEqual({
      target_role: 'admin',
      confirmed_twice: true,
    });

    // The rule lives in the domain too: a caller that skips the second step is refused.
    const third = await insertUser(db(), { role: 'admin' });
    const deps = {
      db: db(),
      config: t.config,
      clock: t.container.clock,
      queue: t.container.queue,
    };
    const actor = { user: admin, requestId: null };
    await expect(suspendUser(deps, actor, third.id, null)).rejects.toThrow(
      'to suspend an admin, confirm a second time',
    );
    await expect(deleteUser(deps, actor, third.id)).rejects.toThrow(
      'to delete an admin, confirm a second time',
    );
    expect((await userRow(third.id))!.suspended_at).toBeNull();
  });

  test('delete asks for the username, removes the user and their data, keeps the audit trail', async () => {
    const gone = await insertUser(db(), { display_name: 'Gone Soon' });
    await insertRecord(db(), gone, 'www', 'A', '192.0.2.60');
    const now = Date.now();
    await db()
      .insertInto('certificates')
      .values({
        user_id: gone.id,
        domain: `${gone.dns_label}.starchart.test`,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const g = await t.agent(gone);
    await g.post('/dns-records/new', { subdomain: 'own', type: 'TXT', value: 'hello' });
    const trailBefore = await db()
      .selectFrom('audit_log')
      .select('id')
      .where('effective_user_id', '=', gone.id)
      .execute();
    expect(trailBefore.length).toBeGreaterThan(0);
    const a = await t.agent(admin);

    expect((await a.get(`/admin/users/${gone.id}/delete`)).status).toBe(200);
    expect((await a.post(`/admin/users/${gone.id}/delete`)).status).toBe(200);
    const wrong = await a.post(`/admin/users/${gone.id}/delete`, {
      confirm: 'yes',
      username: 'nope',
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('does not match');
    expect(
      await db().selectFrom('users').select('id').where('id', '=', gone.id).executeTakeFirst(),
    ).toBeDefined();

    const res = await a.post(`/admin/users/${gone.id}/delete`, {
      confirm: 'yes',
      username: gone.username,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin?done=deleted');
    expect(
      await db().selectFrom('users').select('id').where('id', '=', gone.id).executeTakeFirst(),
    ).toBeUndefined();
    expect(
      await db().selectFrom('dns_records').select('id').where('user_id', '=', gone.id).execute(),
    ).toEqual([]);
    expect(
      await db().selectFrom('certificates').select('id').where('user_id', '=', gone.id).execute(),
    ).toEqual([]);
    expect(
      await db().selectFrom('sessions').select('id').where('user_id', '=', gone.id).execute(),
    ).toEqual([]);
    const label = await db()
      .selectFrom('dns_labels')
      .selectAll()
      .where('label', '=', gone.dns_label)
      .executeTakeFirstOrThrow();
    expect(label.dirty_serial).not.toBeNull();
    const trailAfter = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('effective_user_id', '=', gone.id)
      .orderBy('id')
      .execute();
    expect(trailAfter.length).toBe(trailBefore.length + 1);
    const del = trailAfter.filter((r) => r.action === 'admin.user.delete');
    expect(del).toHaveLength(1);
    const snapshot = JSON.parse(del[0]!.before_json!);
    expect(snapshot.user.username).toBe(gone.username);
    expect(snapshot.records.map((r: { subdomain: string }) => r.subdomain).sort()).toEqual([
      'own',
      'www',
    ]);
    expect(snapshot.certificates).toHaveLength(1);
    expect((await a.get(`/admin/users/${gone.id}`)).status).toBe(404);
  });

  test('an admin edits and deletes a single record of a user (audited as admin for the owner)', async () => {
    const owner = await insertUser(db());
    const id = await insertRecord(db(), owner, 'blog', 'A', '192.0.2.70');
    const a = await t.agent(admin);
    const form = await (await a.get(`/admin/users/${owner.id}/records/${id}`)).text();
    expect(form).toContain('value="192.0.2.70"');
    expect(form).not.toContain('/dns-records/validate');
    const bad = await a.post(`/admin/users/${owner.id}/records/${id}`, {
      subdomain: 'blog',
      type: 'A',
      value: 'not-an-ip',
    });
    expect(bad.status).toBe(400);
    const ok = await a.post(`/admin/users/${owner.id}/records/${id}`, {
      subdomain: 'blog',
      type: 'A',
      value: '192.0.2.71',
    });
    expect(ok.status).toBe(303);
    const row = await db()
      .selectFrom('dns_records')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect([row.user_id, row.value]).toEqual([owner.id, '192.0.2.71']);
    // A record of someone else under this user's URL is not found.
    expect((await a.get(`/admin/users/${owner.id}/records/${targetRecord}`)).status).toBe(404);
    expect((await a.post(`/admin/users/${owner.id}/records/${id}/delete`)).status).toBe(200);
    expect(
      (await a.post(`/admin/users/${owner.id}/records/${id}/delete`, { confirm: 'yes' })).status,
    ).toBe(303);
    expect(
      await db().selectFrom('dns_records').select('id').where('id', '=', id).executeTakeFirst(),
    ).toBeUndefined();
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('target_type', '=', 'dns_record')
      .where('target_id', '=', String(id))
      .orderBy('id')
      .execute();
    expect(audit.map((r) => [r.action, r.actor_user_id, r.effective_user_id])).toEqual([
      ['dns-record.update', admin.id, owner.id],
      ['dns-record.delete', admin.id, owner.id],
    ]);
  });

  test("a user's page keeps names whole and long values one click away; editing says whose record it is", async () => {
    const owner = await insertUser(db(), { display_name: 'Lena Long' });
    const long = `v=DKIM1; k=rsa; p=${'A'.repeat(300)}`;
    const txt = await insertRecord(db(), owner, 'selector._domainkey', 'TXT', long);
    await insertRecord(db(), owner, 'short', 'A', '192.0.2.9');
    const a = await t.agent(admin);
    const page = await (await a.get(`/admin/users/${owner.id}`)).text();
    const row = (id: number) => new RegExp(`<tr id="record-${id}">[\\s\\S]*?</tr>`).exec(page)![0];
    const longRow = row(txt);
    expect(longRow).toContain('<td data-label="Name" class="record-name">');
    expect(longRow).toContain('<details class="long-value">');
    expect(longRow).toContain(`<p class="mono full-value">${long}</p>`);
    expect(longRow).toContain(`Show all ${long.length} characters`);
    expect(page).toContain('<span class="mono">192.0.2.9</span>');

    const form = await a.get(`/admin/users/${owner.id}/records/${txt}`);
    const html = await form.text();
    expect(html).toContain(`<title>Editing ${owner.username}&#39;s record`);
    expect(html).toMatch(new RegExp(`<h1>Editing ${owner.username}('|&#39;)s record</h1>`));
    expect(html).toContain('id="record-owner"');
    expect(html).toContain('Lena Long');
    // A refused edit re-renders with the same heading.
    const bad = await a.post(`/admin/users/${owner.id}/records/${txt}`, {
      subdomain: 'selector._domainkey',
      type: 'TXT',
      value: '',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(
      new RegExp(`<h1>Editing ${owner.username}('|&#39;)s record</h1>`),
    );
    const del = await (await a.get(`/admin/users/${owner.id}/records/${txt}/delete`)).text();
    expect(del).toMatch(new RegExp(`<h1>Delete ${owner.username}('|&#39;)s DNS record</h1>`));

    // Impersonating: the record form says whose record it is too.
    expect((await a.post(`/admin/users/${owner.id}/impersonate`)).status).toBe(303);
    const asOwner = await (await a.get(`/dns-records/${txt}`)).text();
    expect(asOwner).toMatch(new RegExp(`Editing ${owner.username}('|&#39;)s record`));
    const create = await (await a.get('/dns-records/new')).text();
    expect(create).toContain(`Creating a record for ${owner.username}`);
    await a.post('/admin/impersonation/stop');
    // Their own form does not.
    const o = await t.agent(owner);
    expect(await (await o.get(`/dns-records/${txt}`)).text()).not.toContain('id="record-owner"');
  });

  test('blocked labels are enforced by the record rules and audited once each', async () => {
    const a = await t.agent(admin);
    const s = await t.agent(student);
    expect((await a.post('/admin/blocked-labels', { label: 'Bad Label' })).status).toBe(400);
    expect((await a.post('/admin/blocked-labels', { label: 'scam', reason: 'abuse' })).status).toBe(
      303,
    );
    const dup = await a.post('/admin/blocked-labels', { label: 'scam' });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toContain('already blocked');
    expect(await (await a.get('/admin/blocked-labels')).text()).toContain('scam');
    const refused = await s.post('/dns-records/new', {
      subdomain: 'scam',
      type: 'A',
      value: '192.0.2.1',
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('That name is not available');
    // Unblocking asks first: the page, its question for the dialog, a POST without confirm=yes.
    const list = await (await a.get('/admin/blocked-labels')).text();
    expect(list).toContain('href="/admin/blocked-labels/scam/unblock" data-dialog=""');
    const ask = await a.get('/admin/blocked-labels/scam/unblock');
    expect(ask.status).toBe(200);
    const askHtml = await ask.text();
    expect(askHtml).toContain('<h1 id="confirm-title">Unblock this label?</h1>');
    expect(askHtml).toContain('abuse');
    expect(askHtml).toContain('action="/admin/blocked-labels/scam/unblock"');
    expect(askHtml).toContain('name="confirm" value="yes"');
    expect(askHtml).toContain('href="/admin/blocked-labels"'); // Cancel
    const part = await (
      await a.get('/admin/blocked-labels/scam/unblock', { 'hx-request': 'true' })
    ).text();
    expect(part).not.toContain('<html');
    expect(part).toContain('<h2 id="confirm-title">Unblock this label?</h2>');
    for (const form of [{}, { confirm: '' }, { confirm: 'no' }] as Record<string, string>[]) {
      const res = await a.post('/admin/blocked-labels/scam/unblock', form);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Unblock this label?');
    }
    expect(await (await a.get('/admin/blocked-labels')).text()).toContain('scam');
    expect((await auditRows('admin.label.unblock')).filter((r) => r.target_id === 'scam')).toEqual(
      [],
    );
    // Not blocked: nothing to ask.
    expect((await a.get('/admin/blocked-labels/nothere/unblock')).status).toBe(404);
    expect((await a.post('/admin/blocked-labels/scam/unblock', { confirm: 'yes' })).status).toBe(
      303,
    );
    expect((await a.post('/admin/blocked-labels/scam/unblock', { confirm: 'yes' })).status).toBe(
      404,
    );
    expect(
      (await s.post('/dns-records/new', { subdomain: 'scam', type: 'A', value: '192.0.2.1' }))
        .status,
    ).toBe(303);
    expect(
      (await auditRows('admin.label.block')).filter((r) => r.target_id === 'scam'),
    ).toHaveLength(1);
    expect(
      (await auditRows('admin.label.unblock')).filter((r) => r.target_id === 'scam'),
    ).toHaveLength(1);
  });

  test('user search: at least 3 characters, username/name/email, case-insensitive, paginated, htmx fragment', async () => {
    const tag = `zq${dialect}${Date.now().toString(36)}`;
    for (let i = 0; i < 23; i++)
      await insertUser(db(), {
        username: `${tag}${String(i).padStart(2, '0')}`,
        display_name: `Person ${i}`,
        email: `p${i}-${tag}@Example.EDU`,
      });
    await insertUser(db(), { display_name: `Unique ${tag.toUpperCase()} Name` });
    const a = await t.agent(admin);
    const short = await (await a.get('/admin?q=zq')).text();
    expect(short).toContain('Type at least 3 characters to search.');
    // A too-short query lists the recent users instead of nothing.
    expect(short).toContain('most recent sign-in first');
    const p1 = await (await a.get(`/admin?q=${tag.toUpperCase()}`)).text();
    expect(p1).toContain('24 users found');
    expect(p1).toContain('Page 1 of 2');
    const p2 = await (await a.get(`/admin?q=${tag}&page=2`)).text();
    expect(p2).toContain('Page 2 of 2');
    expect((p2.match(/href="\/admin\/users\/\d+"/g) ?? []).length).toBe(4);
    const byEmail = await (await a.get(`/admin?q=p7-${tag}@example`)).text();
    expect(byEmail).toContain('1 user found');
    const frag = await a.get(`/admin?q=${tag}`, {
      'hx-request': 'true',
      'hx-target': 'user-results',
    });
    const html = await frag.text();
    expect(html.startsWith('<div id="user-results"')).toBe(true);
    expect(html).not.toContain('<html');
    expect(await (await a.get('/admin?q=%25%25%25')).text()).toContain('No users found.');
    expect(await (await a.get('/admin?q=___')).text()).toContain('No users found.');
    expect((await a.get(`/admin?q=${'x'.repeat(101)}`)).status).toBe(400);
    const dash = await (await a.get('/admin')).text();
    expect(dash).toContain('hx-trigger="keyup changed delay:300ms, search"');
    expect(dash).toMatch(/data-metric="users">[\d,]+</);
    expect(dash).toContain('data-metric="jobs-failed"');
  });

  test('the dashboard lists users without a query, most recent sign-in first, paginated (plain links and htmx)', async () => {
    const tag = `rc${dialect}${Date.now().toString(36)}`;
    // Sign-ins far in the future so these are the newest whatever other tests inserted.
    const future = Date.now() + 10 * 86_400_000;
    const made: User[] = [];
    for (let i = 0; i < 3; i++)
      made.push(
        await insertUser(db(), { username: `${tag}n${i}`, last_login_at: future + i * 1000 }),
      );
    const never = await insertUser(db(), { username: `${tag}never`, last_login_at: null });
    const a = await t.agent(admin);
    const res = await a.get('/admin');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('Type at least 3 characters to search.');
    const listed = [...html.matchAll(/href="\/admin\/users\/(\d+)"/g)].map((m) => Number(m[1]));
    // Newest sign-in first: n2, n1, n0 head the list.
    expect(listed.slice(0, 3)).toEqual([made[2]!.id, made[1]!.id, made[0]!.id]);
    const total = Number(
      (
        await db()
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(html).toContain(`${total.toLocaleString('en-CA')} users, most recent sign-in first`);
    const pages = Math.ceil(total / 20);
    expect(pages).toBeGreaterThan(1);
    expect(html).toContain(`Page 1 of ${pages}`);
    expect(html).toContain('href="/admin?page=2"');
    expect(html).toContain('hx-get="/admin?page=2"');
    // The whole order: last sign-in (never = last), then newest account, then newest id.
    const all = await db()
      .selectFrom('users')
      .select(['id', 'last_login_at', 'created_at'])
      .execute();
    const key = (u: (typeof all)[0]) => [
      u.last_login_at === null ? -Infinity : Number(u.last_login_at),
      Number(u.created_at),
      Number(u.id),
    ];
    const expected = all
      .sort((x, y) => {
        const [kx, ky] = [key(x), key(y)];
        for (let i = 0; i < 3; i++) if (kx[i] !== ky[i]) return ky[i]! - kx[i]!;
        return 0;
      })
      .map((u) => Number(u.id));
    expect(listed).toEqual(expected.slice(0, 20));
    const last = await (await a.get(`/admin?page=${pages}`)).text();
    expect(last).toContain(`Page ${pages} of ${pages}`);
    const lastIds = [...last.matchAll(/href="\/admin\/users\/(\d+)"/g)].map((m) => Number(m[1]));
    expect(lastIds).toEqual(expected.slice((pages - 1) * 20));
    expect(expected.indexOf(never.id)).toBeGreaterThan(expected.indexOf(made[0]!.id));
    expect(html + last).toContain('>never<');
    // htmx asks for the region alone.
    const frag = await (
      await a.get('/admin?page=2', { 'hx-request': 'true', 'hx-target': 'user-results' })
    ).text();
    expect(frag.startsWith('<div id="user-results"')).toBe(true);
    expect(frag).toContain(`Page 2 of ${pages}`);
  });

  test('metrics count users, records by type, records in error and certificates by status', async () => {
    const a = await t.agent(admin);
    const users = Number(
      (
        await db()
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const errored = await insertRecord(db(), student, 'err', 'TXT', 'x');
    await db()
      .updateTable('dns_records')
      .set({ status: 'error' })
      .where('id', '=', errored)
      .execute();
    const inError = Number(
      (
        await db()
          .selectFrom('dns_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'error')
          .executeTakeFirstOrThrow()
      ).n,
    );
    const html = await (await a.get('/admin')).text();
    expect(html).toContain(`data-metric="users">${users.toLocaleString('en-CA')}<`);
    expect(html).toContain(`data-metric="records-error">${inError}<`);
    expect(html).toMatch(/TXT: \d+/);
  });

  test('the audit log names its targets (records, users, certificates, tokens), from the stored JSON once deleted', async () => {
    const a = await t.agent(admin);
    const owner = await insertUser(db(), { display_name: 'Otto Owner' });
    const o = await t.agent(owner);
    expect(
      (await o.post('/dns-records/new', { subdomain: 'named', type: 'TXT', value: 'v=1' })).status,
    ).toBe(303);
    const rec = await db()
      .selectFrom('dns_records')
      .select('id')
      .where('user_id', '=', owner.id)
      .where('subdomain', '=', 'named')
      .executeTakeFirstOrThrow();
    const full = `named.${owner.dns_label}.${t.config.rootDomain}`;
    const cell = (html: string, action: string) => {
      const row = html
        .split('<tr class="audit-row"')
        .find((r) => r.includes(`data-action="${action}"`));
      expect(row, action).toBeDefined();
      return /<td data-label="Target"[^>]*>([\s\S]*?)<\/td>/.exec(row!)![1]!;
    };
    const live = await (await a.get(`/admin/audit?user=${owner.username}`)).text();
    const created = cell(live, 'dns-record.create');
    expect(created).toContain('DNS record');
    expect(created).toContain(full);
    expect(created).toContain(`href="/admin/users/${owner.id}/records/${rec.id}"`);
    expect(created).not.toContain(`dns_record ${rec.id}`);
    expect(created).not.toContain('(deleted)');
    // The owner's own history names it too, without admin links.
    const own = cell(await (await o.get('/history')).text(), 'dns-record.create');
    expect(own).toContain(full);
    expect(own).not.toContain('href=');

    // Gone from the database: the name comes from the row's own JSON.
    await db().deleteFrom('dns_records').where('id', '=', rec.id).execute();
    const certId = 987_654_321;
    await db()
      .insertInto('audit_log')
      .values({
        at: Date.now(),
        actor_user_id: null,
        actor_username: null,
        effective_user_id: owner.id,
        effective_username: owner.username,
        action: 'certificate.issue',
        target_type: 'certificate',
        target_id: String(certId),
        request_id: null,
        before_json: null,
        after_json: JSON.stringify({ domain: `${owner.dns_label}.${t.config.rootDomain}` }),
      })
      .execute();
    const after = await (await a.get(`/admin/audit?user=${owner.username}`)).text();
    const deletedRec = cell(after, 'dns-record.create');
    expect(deletedRec).toContain(full);
    expect(deletedRec).toContain('(deleted)');
    expect(deletedRec).not.toContain('href=');
    const cert = cell(after, 'certificate.issue');
    expect(cert).toContain('certificate');
    expect(cert).toContain(`${owner.dns_label}.${t.config.rootDomain}`);
    expect(cert).not.toContain(String(certId));

    // A user target: the username while the account exists, the delete row's JSON afterwards.
    expect((await a.post(`/admin/users/${owner.id}/suspend`, { confirm: 'yes' })).status).toBe(303);
    const suspended = cell(
      await (await a.get(`/admin/audit?user=${owner.username}`)).text(),
      'admin.user.suspend',
    );
    expect(suspended).toContain(`href="/admin/users/${owner.id}"`);
    expect(suspended).toContain(`>${owner.username}<`);
    expect(
      (
        await a.post(`/admin/users/${owner.id}/delete`, {
          confirm: 'yes',
          username: owner.username,
        })
      ).status,
    ).toBe(303);
    const gone = await (await a.get(`/admin/audit?user=${owner.username}`)).text();
    for (const action of ['admin.user.delete', 'admin.user.suspend']) {
      const c = cell(gone, action);
      expect(c).toContain(`>${owner.username}<`);
      expect(c).toContain('(deleted)');
    }
  });

  test('the audit log pages through 50 entries at a time and keeps its filters in the URL', async () => {
    const a = await t.agent(admin);
    const who = await insertUser(db());
    const base = Date.now() - 60_000;
    await db()
      .insertInto('audit_log')
      .values(
        Array.from({ length: 55 }, (_, i) => ({
          at: base + i,
          actor_user_id: who.id,
          actor_username: who.username,
          effective_user_id: who.id,
          effective_username: who.username,
          action: i % 11 === 0 ? 'test.other' : 'test.pager',
          target_type: 'blocked_label',
          target_id: `lbl${String(i).padStart(2, '0')}`,
          request_id: null,
          before_json: null,
          after_json: null,
        })),
      )
      .execute();
    const today = new Date().toISOString().slice(0, 10);
    const filters = `user=${who.username}&action=test.&from=${today}`;
    const p1 = await (await a.get(`/admin/audit?${filters}`)).text();
    expect(p1).toContain('55 matching entries');
    expect(p1).toContain('Page 1 of 2');
    expect((p1.match(/<tr class="audit-row"/g) ?? []).length).toBe(50);
    // Newest first: lbl54 on page one, lbl00 on page two.
    expect(p1).toContain('lbl54');
    expect(p1).not.toContain('lbl04<');
    const next = /<a class="btn secondary" href="([^"]+)" rel="next"/
      .exec(p1)![1]!
      .replace(/&amp;/g, '&');
    const q = new URL(next, 'http://x').searchParams;
    expect([q.get('user'), q.get('action'), q.get('from'), q.get('page')]).toEqual([
      who.username,
      'test.',
      today,
      '2',
    ]);
    const p2 = await (await a.get(next)).text();
    expect(p2).toContain('Page 2 of 2');
    expect((p2.match(/<tr class="audit-row"/g) ?? []).length).toBe(5);
    expect(p2).toContain('lbl00');
    // The filter form on page two still shows the filters.
    expect(p2).toContain(`value="${who.username}"`);
    expect(p2).toContain('value="test."');
    const prev = /<a class="btn secondary" href="([^"]+)" rel="prev"/.exec(p2)![1]!;
    expect(prev.replace(/&amp;/g, '&')).toBe(
      `/admin/audit?user=${who.username}&action=test.&from=${today}`,
    );
    // A narrower filter: one page, no pager.
    const narrow = await (
      await a.get(`/admin/audit?user=${who.username}&action=test.other`)
    ).text();
    expect(narrow).toContain('5 matching entries');
    expect(narrow).not.toContain('Page 1 of');
  });

  test('the audit log filters by user, action and dates; users see only their own history', async () => {
    const a = await t.agent(admin);
    const mine = await insertUser(db());
    const m = await t.agent(mine);
    await m.post('/dns-records/new', { subdomain: 'hist', type: 'TXT', value: 'mine' });
    const all = await (await a.get(`/admin/audit?user=${mine.username.toUpperCase()}`)).text();
    expect(all).toContain('1 matching entries');
    expect(all).toContain('dns-record.create');
    const byAction = await (await a.get('/admin/audit?action=admin.impersonate')).text();
    expect(byAction).toContain('admin.impersonate.start');
    expect(byAction).not.toContain('data-action="dns-record.create"');
    const today = new Date().toISOString().slice(0, 10);
    const inRange = await (
      await a.get(`/admin/audit?user=${mine.username}&from=${today}&to=${today}`)
    ).text();
    expect(inRange).toContain('1 matching entries');
    const outRange = await (await a.get(`/admin/audit?user=${mine.username}&to=2000-01-01`)).text();
    expect(outRange).toContain('0 matching entries');
    expect((await a.get('/admin/audit?from=yesterday')).status).toBe(400);
    expect((await a.get('/admin/audit?from=2026-02-02&to=2026-01-01')).status).toBe(400);

    const own = await (await m.get('/history')).text();
    expect(own).toContain('dns-record.create');
    expect(own).not.toContain(target.username);
    expect(own).not.toContain('admin.impersonate');
    expect((await (await t.agent()).get('/history')).status).toBe(302);
  });
});
