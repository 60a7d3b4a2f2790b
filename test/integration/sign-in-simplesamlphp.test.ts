/**
 * Sign-in end to end against a real SimpleSAMLphp IdP over HTTP (the app in-process), on both dialects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAML } from '@node-saml/node-saml';
import { insertSamlRequest } from '../../src/db/repos/saml.js';
import { signInBinding } from '../../src/web/sign-in-binding.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import {
  type AcsPost,
  HttpBrowser,
  loginAtSimpleSamlPhp,
  parseForms,
  signInThroughSimpleSamlPhp,
  startSignIn,
} from '../support/saml-flow.js';
import { SSP_USERS, type SimpleSamlPhp, startSimpleSamlPhp } from '../support/simplesamlphp.js';

const appUrl = 'http://localhost:8080';
const sp = {
  entityId: `${appUrl}/sp`,
  acsUrl: `${appUrl}/login/callback`,
  sloUrl: `${appUrl}/logout/callback`,
};
const otherSp = { ...sp, entityId: `${appUrl}/other-sp` };

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

describe.each(DIALECTS)('sign-in through SimpleSAMLphp (%s)', (dialect) => {
  let ssp: SimpleSamlPhp;
  let t: TestApp;
  let offset = 0;
  const clock = { now: () => Date.now() + offset };

  beforeAll(async () => {
    ssp = await startSimpleSamlPhp({
      serviceProviders: [sp, otherSp],
      users: [
        ...SSP_USERS,
        {
          username: 'hansolo',
          password: 'pw',
          attributes: {
            sAMAccountName: ['HanSolo'],
            email: ['other@myseneca.ca'],
            displayname: ['Another Han'],
            group: ['mycustomdomain-students'],
          },
        },
      ],
    });
    t = await createTestApp({ dialect, clock, env: { SAML_IDP_METADATA_PATH: ssp.metadataPath } });
  });
  afterAll(async () => {
    await t?.cleanup();
    await ssp?.stop();
  });

  const browser = () => new HttpBrowser({ origin: appUrl, handler: t.request });
  const sessionCount = async () =>
    Number(
      (
        await t.container.dbh.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** A genuine, untouched ACS post from SimpleSAMLphp for a fresh sign-in. */
  const genuinePost = async (b: HttpBrowser, user = 'user1', pass = 'user1pass', to = '/') =>
    loginAtSimpleSamlPhp(b, await startSignIn(b, appUrl, to), user, pass);

  const expectRejected = async (
    b: HttpBrowser,
    post: AcsPost,
    status = 400,
    text: RegExp = /Sign-in failed/,
  ) => {
    const before = await sessionCount();
    const res = await b.postForm(post.acsUrl, post.fields);
    expect(res.status).toBe(status);
    const html = await res.text();
    expect(html).toMatch(/Sign-in failed|Sign in again/);
    expect(html).toMatch(text);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('__session='))).toBe(false);
    expect(b.cookies(appUrl).has('__session')).toBe(false);
    expect(await sessionCount()).toBe(before);
    const home = await b.request(`${appUrl}/`);
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/login?redirectTo=%2F');
  };

  it.each([
    ['user1', 'user1pass', 'Johannes Kepler', 'student'],
    ['user2', 'user2pass', 'Galileo Galilei', 'faculty'],
    ['user3', 'user3pass', 'Adam Mason', 'admin'],
    ['han.solo', 'starchart', 'Hans Solo', 'admin'],
  ])('%s (password %s) lands on / as %s with role %s', async (username, password, name, role) => {
    const b = browser();
    const res = await signInThroughSimpleSamlPhp(b, appUrl, username, password);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    const home = await b.request(`${appUrl}/`);
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain(`<span id="header-user" title="${username}">${name}</span>`);
    expect(html).toContain('Welcome to My.Custom.Domain!');
    expect(html.includes('href="/admin"')).toBe(role === 'admin');
    const user = await t.container.dbh.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    expect(user.role).toBe(role);
    expect(user.dns_label).toBe(username.toLowerCase().replace(/\./g, ''));
    expect(html).toContain(`${user.dns_label}.starchart.test`);
    const audit = await t.container.dbh.db
      .selectFrom('audit_log')
      .selectAll()
      .where('actor_user_id', '=', user.id)
      .where('action', '=', 'sign-in')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(audit[0]!.effective_user_id).toBe(user.id);
    expect(audit[0]!.request_id).toBeTruthy();
  });

  it('returns to redirectTo after sign-in', async () => {
    const b = browser();
    const res = await signInThroughSimpleSamlPhp(
      b,
      appUrl,
      'user1',
      'user1pass',
      '/dns-records?x=1',
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dns-records?x=1');
  });

  it('refreshes name, email, groups and role at every sign-in', async () => {
    await signInThroughSimpleSamlPhp(browser(), appUrl, 'user2', 'user2pass');
    ssp.setUserAttributes('user2', {
      group: ['mycustomdomain-admins'],
      displayname: ['Galileo G.'],
      email: ['gg@myseneca.ca'],
    });
    try {
      const b = browser();
      await signInThroughSimpleSamlPhp(b, appUrl, 'user2', 'user2pass');
      const user = await t.container.dbh.db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', 'user2')
        .executeTakeFirstOrThrow();
      expect(user.role).toBe('admin');
      expect(user.display_name).toBe('Galileo G.');
      expect(user.email).toBe('gg@myseneca.ca');
      expect(JSON.parse(user.groups)).toEqual(['mycustomdomain-admins']);
      expect(await (await b.request(`${appUrl}/`)).text()).toContain('href="/admin"');
    } finally {
      ssp.setUserAttributes('user2', {
        group: ['mycustomdomain-faculty'],
        displayname: ['Galileo Galilei'],
        email: ['user2@myseneca.ca'],
      });
    }
    await signInThroughSimpleSamlPhp(browser(), appUrl, 'user2', 'user2pass');
    const again = await t.container.dbh.db
      .selectFrom('users')
      .select('role')
      .where('username', '=', 'user2')
      .executeTakeFirstOrThrow();
    expect(again.role).toBe('faculty');
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/, not Secure outside production; new id at each sign-in', async () => {
    const b = browser();
    const res = await signInThroughSimpleSamlPhp(b, appUrl, 'user1', 'user1pass');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__session='))!;
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
    expect(cookie).not.toMatch(/Max-Age|Expires/i);
    const first = b.cookies(appUrl).get('__session')!;
    expect(first).toMatch(/^[\w-]+\.[\w-]+$/);
    // A browser that still holds that session signs in again: it gets a new id, the old row ends.
    const b2 = browser();
    const post = await genuinePost(b2);
    b2.cookies(appUrl).set('__session', first);
    const before = await sessionCount();
    expect((await b2.postForm(post.acsUrl, post.fields)).status).toBe(302);
    const second = b2.cookies(appUrl).get('__session')!;
    expect(second).not.toBe(first);
    expect((await b.request(`${appUrl}/`)).status).toBe(302);
    // The previous session of this browser ended: one row replaced by one row.
    expect(await sessionCount()).toBe(before);
  });

  it('refuses a state-changing POST without the CSRF token (403) and keeps the session', async () => {
    const b = browser();
    await signInThroughSimpleSamlPhp(b, appUrl, 'user1', 'user1pass');
    const res = await b.postForm(`${appUrl}/logout`, {});
    expect(res.status).toBe(403);
    expect((await b.request(`${appUrl}/`)).status).toBe(200);
    const wrong = await b.postForm(`${appUrl}/logout`, { _csrf: 'wrong' });
    expect(wrong.status).toBe(403);
  });

  it('signs out in two steps and then through the IdP single logout', async () => {
    const b = browser();
    await signInThroughSimpleSamlPhp(b, appUrl, 'user1', 'user1pass');
    const home = await (await b.request(`${appUrl}/`)).text();
    const form = parseForms(home).find((f) => f.action === '/logout')!;
    const before = await sessionCount();
    const out = await b.postForm(`${appUrl}/logout`, form.fields);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/logout');
    expect(await sessionCount()).toBe(before - 1);
    expect(b.cookies(appUrl).has('__session')).toBe(false);
    const slo = out.headers.getSetCookie().find((c) => c.startsWith('__slo='))!;
    expect(slo).toMatch(/Path=\/logout/);
    expect(slo).toMatch(/HttpOnly/i);
    expect((await b.request(`${appUrl}/`)).status).toBe(302);

    const page = await b.request(`${appUrl}/logout`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('You have been signed out of My.Custom.Domain.');
    const everywhere = parseForms(html).find((f) => f.fields.everywhere === '1')!;
    const toIdp = await b.postForm(`${appUrl}/logout`, everywhere.fields);
    expect(toIdp.status).toBe(303);
    const idpUrl = toIdp.headers.get('location')!;
    expect(idpUrl.startsWith(`${ssp.baseUrl}/saml2/idp/SingleLogoutService.php?SAMLRequest=`)).toBe(
      true,
    );
    const { res, url } = await b.follow(idpUrl);
    expect(url.startsWith(`${appUrl}/logout/callback?`)).toBe(true);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Signed out everywhere');
  });

  it('refuses a second account whose username maps to an existing DNS label', async () => {
    await signInThroughSimpleSamlPhp(browser(), appUrl, 'han.solo', 'starchart');
    const b = browser();
    const post = await genuinePost(b, 'hansolo', 'pw');
    await expectRejected(b, post, 403, /already belongs to another account/);
    const rows = await t.container.dbh.db
      .selectFrom('users')
      .select('username')
      .where('dns_label', '=', 'hansolo')
      .execute();
    expect(rows.map((r) => r.username)).toEqual(['han.solo']);
  });

  describe('rejects, with 4xx and no session', () => {
    it('an unsigned response', async () => {
      const b = browser();
      const post = await genuinePost(b);
      const xml = decode(post.fields.SAMLResponse!).replace(
        /<ds:Signature[\s\S]*?<\/ds:Signature>/g,
        '',
      );
      expect(xml).not.toContain('Signature');
      await expectRejected(b, { ...post, fields: { ...post.fields, SAMLResponse: encode(xml) } });
    });

    it('an attribute changed after signing', async () => {
      const b = browser();
      const post = await genuinePost(b);
      const xml = decode(post.fields.SAMLResponse!);
      expect(xml).toContain('mycustomdomain-students');
      const tampered = xml.replace('mycustomdomain-students', 'mycustomdomain-admins');
      await expectRejected(b, {
        ...post,
        fields: { ...post.fields, SAMLResponse: encode(tampered) },
      });
      expect(
        await t.container.dbh.db
          .selectFrom('users')
          .select('role')
          .where('username', '=', 'user1')
          .executeTakeFirst(),
      ).not.toEqual({ role: 'admin' });
    });

    it('a signature-wrapping attempt', async () => {
      const b = browser();
      const post = await genuinePost(b);
      // Drop the response-level signature so only the assertion signature is in play, then hide the
      // genuine assertion in Extensions and put a forged, unsigned admin assertion in its place.
      const xml = decode(post.fields.SAMLResponse!);
      const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
      const envelope = xml
        .replace(assertion, '@@ASSERTION@@')
        .replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '');
      const forged = assertion
        .replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '')
        .replace(/>user1</g, '>user3<')
        .replace('mycustomdomain-students', 'mycustomdomain-admins');
      const wrapped = envelope.replace(
        '@@ASSERTION@@',
        `<samlp:Extensions>${assertion}</samlp:Extensions>${forged}`,
      );
      await expectRejected(b, {
        ...post,
        fields: { ...post.fields, SAMLResponse: encode(wrapped) },
      });
    });

    it('an expired assertion', async () => {
      const b = browser();
      const post = await genuinePost(b);
      offset = 10 * 60_000; // SimpleSAMLphp assertions live 5 minutes; skew is 60 s
      try {
        await expectRejected(b, post, 400, /expired|could not be verified/);
      } finally {
        offset = 0;
      }
    });

    it('a response for another audience', async () => {
      // A second SP registered at the IdP with the same ACS: SimpleSAMLphp signs a response whose
      // audience is that SP. The request id is recorded as ours so that only the audience is wrong.
      const b = browser();
      const other = new SAML({
        entryPoint: `${ssp.baseUrl}/saml2/idp/SSOService.php`,
        issuer: otherSp.entityId,
        callbackUrl: otherSp.acsUrl,
        idpCert: 'unused',
        disableRequestedAuthnContext: true,
      });
      const url = new URL(await other.getAuthorizeUrlAsync('/', undefined, {}));
      const { parseRedirectRequest } = await import('../../src/adapters/saml/dev-idp.js');
      const req = await parseRedirectRequest(url.searchParams.get('SAMLRequest')!);
      await insertSamlRequest(t.container.dbh.db, {
        id: req.id,
        created_at: Date.now(),
        expires_at: Date.now() + 600_000,
      });
      // ... and bound to this browser, as if it had started it.
      const bound = signInBinding(t.config, clock).cookieFor(req.id, clock.now());
      b.cookies(appUrl).set(bound.name, bound.value);
      const post = await loginAtSimpleSamlPhp(b, url.toString(), 'user1', 'user1pass');
      expect(decode(post.fields.SAMLResponse!)).toContain(`<saml:Audience>${otherSp.entityId}<`);
      await expectRejected(b, post, 400, /could not be verified/);
    });

    it('a replayed response', async () => {
      const b = browser();
      const post = await genuinePost(b);
      const before = new Map(b.cookies(appUrl));
      const ok = await b.postForm(post.acsUrl, post.fields);
      expect(ok.status).toBe(302);
      // A copy of the browser as it was before the first use: the request is answered already.
      const copy = browser();
      for (const [name, value] of before) copy.cookies(appUrl).set(name, value);
      await expectRejected(copy, post, 400, /does not belong to a sign-in started here/);
      // Any other browser: it never started that sign-in.
      await expectRejected(browser(), post, 400, /not started in this browser/);
    });

    it('a response to a request this SP never made (IdP-initiated)', async () => {
      const b = browser();
      const post = await loginAtSimpleSamlPhp(
        b,
        ssp.unsolicitedUrl(sp.entityId),
        'user1',
        'user1pass',
      );
      expect(decode(post.fields.SAMLResponse!)).not.toMatch(/<samlp:Response[^>]*InResponseTo/);
      await expectRejected(b, post, 400, /does not belong to a sign-in started here/);
    });

    it('a redirectTo pointing to another host', async () => {
      const b = browser();
      for (const target of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
        const page = await b.request(`${appUrl}/login?redirectTo=${encodeURIComponent(target)}`);
        expect(page.status).toBe(400);
        expect(await page.text()).toContain('is not on this site');
        const csrf = b.cookies(appUrl).get('__csrf')!.split('.')[0]!;
        const start = await b.postForm(`${appUrl}/login`, { _csrf: csrf, redirectTo: target });
        expect(start.status).toBe(400);
        expect(start.headers.get('location')).toBeNull();
      }
      // A genuine response whose RelayState was changed in transit to point elsewhere.
      const post = await genuinePost(b);
      await expectRejected(
        b,
        {
          ...post,
          fields: { ...post.fields, RelayState: 'https://evil.example/' },
        },
        400,
        /is not on this site/,
      );
    });
  });
});
