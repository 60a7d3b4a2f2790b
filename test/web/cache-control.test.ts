/**
 * No cache may keep a response that carries a session, a CSRF token or a cookie: every GET route of the
 * app (enumerated from it, so a new page is covered without editing this file) answers a signed-in
 * session with `Cache-Control: no-store`, as do anonymous pages and the sign-in answer that sets the
 * session cookie. Fingerprinted static assets keep their one-year immutable cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { queueEmail } from '../../src/domain/notifications/outbox.js';
import { createNamespace, grantMember } from '../../src/domain/namespaces/namespaces.js';
import { createToken } from '../../src/domain/tokens/tokens.js';
import { ROOT_ICONS } from '../../src/web/static/assets.js';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { HttpBrowser, parseForms, startSignIn } from '../support/saml-flow.js';

describe('Cache-Control', () => {
  let t: TestApp;
  let admin: User;
  let agent: Agent;
  let params: Record<string, string>;
  let ownToken: number;
  let theirToken: number;
  let namespaceId: number;
  let memberId: number;

  beforeAll(async () => {
    t = await createTestApp();
    const db = t.container.dbh.db;
    admin = await insertUser(db, { role: 'admin' });
    const target = await insertUser(db);
    const own = await insertRecord(db, admin, 'www', 'A', '192.0.2.1');
    const theirs = await insertRecord(db, target, 'www', 'A', '192.0.2.2');
    const mail = await queueEmail(
      db,
      t.config.appUrl,
      { to: 'dev@example.edu', subject: 'Hello', text: 'x', html: null },
      Date.now(),
    );
    await db
      .insertInto('blocked_labels')
      .values({ label: 'already', reason: null, created_at: Date.now() })
      .execute();
    const tokenDeps = { db, config: t.config, clock: t.container.clock };
    const tokenInput = {
      name: 'cache test',
      expiresInDays: 30,
      permissions: ['records:read'],
      names: [],
      types: [],
      subnets: [],
    };
    const as = (u: User) => ({ user: u, effectiveUser: u, requestId: null });
    ownToken = Number((await createToken(tokenDeps, as(admin), tokenInput)).token.id);
    theirToken = Number((await createToken(tokenDeps, as(target), tokenInput)).token.id);
    const ns = await createNamespace(tokenDeps, as(admin), { label: 'cachens' });
    await grantMember(tokenDeps, as(admin), ns.id, target.username, 'viewer');
    agent = await t.agent(admin);
    // A value for each path parameter, by the path prefix it follows.
    params = {
      '/dev/mailbox/:id': String(mail),
      '/dns-records/:id': String(own),
      '/api/v1/records/:id': String(own),
      '/admin/users/:id': String(target.id),
      ':rid': String(theirs),
      '/tokens/:id': String(ownToken),
      ':tid': String(theirToken),
      ':part': 'certificate',
      ':label': 'already',
      '/namespaces/:id': String(ns.id),
      ':uid': String(target.id),
    };
    namespaceId = ns.id;
    memberId = target.id;
  });
  afterAll(async () => t?.cleanup());

  const fill = (routePath: string) =>
    routePath.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string, _re, offset: number) => {
      const prefix = `${routePath.slice(0, offset)}:${name}`;
      const value = params[prefix] ?? params[`:${name}`];
      if (value === undefined)
        throw new Error(`give this test a value for ${prefix} (route ${routePath})`);
      return value;
    });

  it('every GET route answers a signed-in session with no-store', async () => {
    const paths = [
      ...new Set(
        t.app.routes
          .filter(
            (r) =>
              r.method === 'GET' &&
              !r.path.startsWith('/static/') &&
              // Icons at fixed paths are static files too (cached for a day: test/web/app-icons.test.ts).
              !(r.path in ROOT_ICONS),
          )
          .map((r) => fill(r.path)),
      ),
    ];
    expect(paths.length).toBeGreaterThan(25);
    const statuses: Record<string, number> = {};
    for (const p of paths) {
      const res = await agent.get(p);
      statuses[p] = res.status;
      expect(res.headers.get('cache-control'), `${p} (${res.status})`).toBe('no-store');
    }
    // The pages themselves were rendered, not only redirects or errors.
    for (const p of [
      '/',
      '/dns-records',
      '/certificate',
      '/admin',
      '/admin/audit',
      '/history',
      '/tokens',
      `/tokens/${ownToken}/revoke`,
      `/admin/users/${params['/admin/users/:id']}/tokens/${theirToken}/revoke`,
      '/admin/blocked-labels/already/unblock',
      '/namespaces',
      '/namespaces/new',
      `/namespaces/${namespaceId}`,
      `/namespaces/${namespaceId}/members/${memberId}/remove`,
    ])
      expect(statuses[p], p).toBe(200);
    expect(statuses[`/dns-records/${params['/dns-records/:id']}`]).toBe(200);
    expect(statuses[`/admin/users/${params['/admin/users/:id']}`]).toBe(200);
    expect(statuses[`/dev/mailbox/${params['/dev/mailbox/:id']}`]).toBe(200);
  });

  it('anonymous pages, the sign-in answer that sets the session cookie and sign-out are no-store', async () => {
    const appUrl = t.config.appUrl;
    const b = new HttpBrowser({ origin: appUrl, handler: t.request });
    const login = await b.request(`${appUrl}/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const picker = await b.request(await startSignIn(b, appUrl));
    const form = parseForms(await picker.text()).find((f) => f.action === '/dev-idp/sso')!;
    const auto = await b.postForm(`${appUrl}/dev-idp/sso`, { ...form.fields, identity: 'admin' });
    const post = parseForms(await auto.text()).find((f) => 'SAMLResponse' in f.fields)!;
    const signedIn = await b.postForm(post.action, post.fields);
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.getSetCookie().some((c) => c.startsWith('__session='))).toBe(true);
    expect(signedIn.headers.get('cache-control')).toBe('no-store');
    const csrf = parseForms(await (await b.request(`${appUrl}/`)).text()).find(
      (f) => f.action === '/logout',
    )!.fields._csrf!;
    const out = await b.postForm(`${appUrl}/logout`, { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('cache-control')).toBe('no-store');
  });

  it('static assets keep their one-year immutable cache', async () => {
    const html = await (await t.request('/login')).text();
    const assets = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const a of assets) {
      const res = await agent.get(a);
      expect(res.status, a).toBe(200);
      expect(res.headers.get('cache-control'), a).toBe('public, max-age=31536000, immutable');
    }
  });
});
