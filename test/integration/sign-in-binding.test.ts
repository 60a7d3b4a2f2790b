/**
 * Sign-in is bound to the browser that started it (issue 16, login CSRF): a SAMLResponse obtained in
 * browser A and posted from another browser — without cookies, or with a binding of its own — is
 * refused with a page that offers to start again, creates no session, and does not use the response
 * up, so A still signs in with it. Several tabs of one browser sign in side by side. With the
 * development IdP and with a real SimpleSAMLphp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/app.js';
import {
  type AcsPost,
  HttpBrowser,
  loginAtSimpleSamlPhp,
  parseForms,
  startSignIn,
} from '../support/saml-flow.js';
import { type SimpleSamlPhp, startSimpleSamlPhp } from '../support/simplesamlphp.js';
import { MAX_PENDING_SIGN_INS, signInBinding } from '../../src/web/sign-in-binding.js';

const appUrl = 'http://localhost:8080';

type Idp = 'development IdP' | 'SimpleSAMLphp';

describe.each<Idp>(['development IdP', 'SimpleSAMLphp'])(
  'sign-in bound to its browser (%s)',
  (idp) => {
    let t: TestApp;
    let ssp: SimpleSamlPhp | null = null;
    beforeAll(async () => {
      if (idp === 'SimpleSAMLphp') {
        ssp = await startSimpleSamlPhp({
          serviceProviders: [
            {
              entityId: `${appUrl}/sp`,
              acsUrl: `${appUrl}/login/callback`,
              sloUrl: `${appUrl}/logout/callback`,
            },
          ],
        });
        t = await createTestApp({ env: { SAML_IDP_METADATA_PATH: ssp.metadataPath } });
      } else {
        t = await createTestApp();
      }
    });
    afterAll(async () => {
      await t?.cleanup();
      await ssp?.stop();
    });

    const browser = () => new HttpBrowser({ origin: appUrl, handler: t.request });
    const bindingCookies = (b: HttpBrowser) =>
      [...b.cookies(appUrl).keys()].filter((k) => k.startsWith('__signin-'));
    const sessionCount = async () =>
      Number(
        (
          await t.container.dbh.db
            .selectFrom('sessions')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    /** The IdP's auto-POST for a sign-in started by `starter` (the IdP part may run in `atIdp`). */
    const answer = async (starter: HttpBrowser, to = '/', atIdp = starter): Promise<AcsPost> => {
      const idpUrl = await startSignIn(starter, appUrl, to);
      if (ssp) return loginAtSimpleSamlPhp(atIdp, idpUrl, 'user1', 'user1pass');
      const picker = await atIdp.request(idpUrl);
      const form = parseForms(await picker.text()).find((f) => f.action === '/dev-idp/sso')!;
      const auto = await atIdp.postForm(`${appUrl}/dev-idp/sso`, {
        ...form.fields,
        identity: 'student',
      });
      const post = parseForms(await auto.text()).find((f) => 'SAMLResponse' in f.fields)!;
      return { acsUrl: new URL(post.action, appUrl).toString(), fields: post.fields };
    };

    const expectSignedIn = async (b: HttpBrowser, post: AcsPost, to = '/') => {
      const res = await b.postForm(post.acsUrl, post.fields);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(to);
      expect((await b.request(`${appUrl}/`)).status).toBe(200);
    };

    /** Refused with the "not started in this browser" page; no session anywhere. */
    const expectNotStartedHere = async (b: HttpBrowser, post: AcsPost) => {
      const before = await sessionCount();
      const res = await b.postForm(post.acsUrl, post.fields);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('<h1>Sign in again</h1>');
      expect(html).toContain('belongs to a sign-in that was not started in this browser');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('__session='))).toBe(false);
      expect(b.cookies(appUrl).has('__session')).toBe(false);
      expect(await sessionCount()).toBe(before);
      expect((await b.request(`${appUrl}/`)).status).toBe(302);
      return html;
    };

    it('refuses a response from a cookieless browser, which can then start again; A still signs in', async () => {
      const a = browser();
      const post = await answer(a, '/dns-records?page=2');
      const b = browser();
      const html = await expectNotStartedHere(b, post);
      // The page's button starts a fresh sign-in from B (to the same page).
      const again = parseForms(html).find((f) => f.action === '/login')!;
      expect(again.fields.redirectTo).toBe('/dns-records?page=2');
      expect(again.fields._csrf).toBe(b.cookies(appUrl).get('__csrf')!.split('.')[0]);
      const restart = await b.postForm(`${appUrl}/login`, again.fields);
      expect(restart.status).toBe(303);
      expect(bindingCookies(b)).toHaveLength(1);
      // The refused response was not used up: the browser that started it signs in with it.
      await expectSignedIn(a, post, '/dns-records?page=2');
    });

    it('refuses a response from a browser holding a binding of its own (and a forged one)', async () => {
      const a = browser();
      const post = await answer(a);
      const c = browser();
      await startSignIn(c, appUrl);
      expect(bindingCookies(c)).toHaveLength(1);
      await expectNotStartedHere(c, post);
      // The response names A's request id, so anyone can name a cookie for it; nobody else can sign it.
      const requestId = /<samlp?:Response[^>]*\bInResponseTo="([^"]+)"/.exec(
        Buffer.from(post.fields.SAMLResponse!, 'base64').toString('utf8'),
      )![1]!;
      const real = signInBinding(t.config, t.container.clock).cookieFor(requestId, Date.now());
      expect(bindingCookies(a)).toEqual([real.name]);
      const forged = browser();
      const unsigned = real.value.slice(0, real.value.lastIndexOf('.'));
      forged.cookies(appUrl).set(real.name, `${unsigned}.${'A'.repeat(43)}`);
      await expectNotStartedHere(forged, post);
      await expectSignedIn(a, post);
    });

    it('the IdP part may run anywhere: the browser that posts to the ACS is the one that matters', async () => {
      // Started in A; the IdP step done in B; B posts: refused. (Login CSRF: the attacker obtains a
      // response for their own sign-in and makes the victim's browser post it.)
      const a = browser();
      const b = browser();
      const post = await answer(a, '/', b);
      await expectNotStartedHere(b, post);
      await expectSignedIn(a, post);
    });

    it('two tabs in one browser both sign in, in either order', async () => {
      const b = browser();
      const tab1 = await answer(b, '/certificate');
      const tab2 = await answer(b, '/history');
      expect(bindingCookies(b)).toHaveLength(2);
      await expectSignedIn(b, tab2, '/history');
      await expectSignedIn(b, tab1, '/certificate');
      expect(bindingCookies(b)).toHaveLength(0);
    });

    it(`keeps at most ${MAX_PENDING_SIGN_INS} pending sign-ins per browser, dropping the oldest`, async () => {
      const b = browser();
      const oldest = await answer(b);
      for (let i = 0; i < MAX_PENDING_SIGN_INS - 1; i++) await startSignIn(b, appUrl);
      expect(bindingCookies(b)).toHaveLength(MAX_PENDING_SIGN_INS);
      const newest = await answer(b, '/history');
      expect(bindingCookies(b)).toHaveLength(MAX_PENDING_SIGN_INS);
      await expectNotStartedHere(b, oldest);
      await expectSignedIn(b, newest, '/history');
    });
  },
);

describe('binding cookie attributes', () => {
  const start = async (t: TestApp) => {
    const page = await t.request('/login');
    const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('__csrf='))!;
    const csrf = csrfCookie.split(';')[0]!.slice('__csrf='.length);
    const res = await t.request('/login', {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrf.split('.')[0]!, redirectTo: '/' }).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `__csrf=${csrf}`,
      },
    });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie().filter((c) => /^(__Host-|__)signin-/.test(c));
  };

  it('http APP_URL (development): SameSite=Lax, Path=/login, HttpOnly, not Secure, 30 minutes', async () => {
    const t = await createTestApp();
    try {
      const [cookie, ...more] = await start(t);
      expect(more).toEqual([]);
      expect(cookie).toMatch(
        /^__signin-[\w-]{16}=[^;]+; Max-Age=1800; Path=\/login; HttpOnly; SameSite=Lax$/,
      );
    } finally {
      await t.cleanup();
    }
  });

  it('https APP_URL: __Host- prefix, Secure, SameSite=None (survives the IdP cross-site POST)', async () => {
    const t = await createTestApp({ env: { APP_URL: 'https://mycustomdomain.example.edu' } });
    try {
      const [cookie, ...more] = await start(t);
      expect(more).toEqual([]);
      expect(cookie).toMatch(
        /^__Host-signin-[\w-]{16}=[^;]+; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=None$/,
      );
    } finally {
      await t.cleanup();
    }
  });
});
