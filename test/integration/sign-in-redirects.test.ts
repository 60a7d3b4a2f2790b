/**
 * Return paths after sign-in (issue 16): a generated corpus of hostile `redirectTo`/`RelayState` values
 * through every entry point that redirects with them — GET /login when signed in, POST /login (signed
 * in: straight back; anonymous: the RelayState sent to the IdP) and the ACS after a real signed SAML
 * flow with the development IdP. None may produce a Location off the app's origin; legitimate paths
 * must round-trip unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/app.js';
import { HttpBrowser, parseForms } from '../support/saml-flow.js';
import {
  LEGITIMATE_REDIRECTS,
  hostileRedirects,
  offSiteReason,
} from '../support/redirect-corpus.js';
import { createApp } from '../../src/web/app.js';
import { PAGE_SECTIONS, safeRedirectPath } from '../../src/web/safe-redirect.js';

const appUrl = 'http://localhost:8080';

describe('return path after sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.cleanup());

  const browser = () => new HttpBrowser({ origin: appUrl, handler: t.request });
  const anonymousCsrf = async (b: HttpBrowser) => {
    await b.request(`${appUrl}/login`);
    return b.cookies(appUrl).get('__csrf')!.split('.')[0]!;
  };

  /** POST /login as the sign-in form does; returns the redirect answer. */
  const postLogin = (b: HttpBrowser, csrf: string, redirectTo: string) =>
    b.postForm(`${appUrl}/login`, { _csrf: csrf, redirectTo });

  /** Start at /login, choose an identity at the development IdP: the auto-POST form for the ACS. */
  const devIdpAnswer = async (b: HttpBrowser, redirectTo = '/') => {
    const start = await postLogin(b, await anonymousCsrf(b), redirectTo);
    expect(start.status).toBe(303);
    const picker = await b.request(start.headers.get('location')!);
    const form = parseForms(await picker.text()).find((f) => f.action === '/dev-idp/sso')!;
    const auto = await b.postForm(`${appUrl}/dev-idp/sso`, { ...form.fields, identity: 'student' });
    const post = parseForms(await auto.text()).find((f) => 'SAMLResponse' in f.fields)!;
    expect(post.action).toBe(`${appUrl}/login/callback`);
    return post.fields;
  };

  const signedIn = async () => {
    const b = browser();
    const fields = await devIdpAnswer(b);
    expect((await b.postForm(`${appUrl}/login/callback`, fields)).status).toBe(302);
    const home = await b.request(`${appUrl}/`);
    expect(home.status).toBe(200);
    const csrf = parseForms(await home.text()).find((f) => f.action === '/logout')!.fields._csrf!;
    return { b, csrf };
  };

  /** The answer either refuses (400, no Location) or redirects on this site. */
  const expectRefusedOrOnSite = async (v: string, res: Response, location = true) => {
    const loc = res.headers.get('location');
    if (res.status === 400) {
      expect(loc).toBeNull();
      expect(await res.text()).toContain('is not on this site');
      return;
    }
    expect(res.status, JSON.stringify(v)).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    await res.arrayBuffer();
    if (location) expect([v, offSiteReason(loc!, appUrl)]).toEqual([v, null]);
    return loc;
  };

  const corpus = hostileRedirects();

  it('GET /login when signed in: never a Location off the site', async () => {
    const { b } = await signedIn();
    const locations: string[] = [];
    for (const v of corpus) {
      const res = await b.request(`${appUrl}/login?redirectTo=${encodeURIComponent(v)}`);
      const loc = await expectRefusedOrOnSite(v, res);
      if (loc) locations.push(loc);
    }
    // The corpus holds nothing that is a page of this app: everything is refused.
    expect(locations).toEqual([]);
  });

  it('POST /login when signed in: never a Location off the site', async () => {
    const { b, csrf } = await signedIn();
    const accepted: string[] = [];
    for (const v of corpus) {
      const loc = await expectRefusedOrOnSite(v, await postLogin(b, csrf, v));
      if (loc) accepted.push(v);
    }
    expect(accepted).toEqual([]);
  });

  it('POST /login when signed out: nothing unsafe travels to the IdP as RelayState', async () => {
    const b = browser();
    const csrf = await anonymousCsrf(b);
    const accepted: string[] = [];
    for (const v of corpus) {
      const res = await postLogin(b, csrf, v);
      await expectRefusedOrOnSite(v, res, false);
      if (res.status === 303) {
        const relay = new URL(res.headers.get('location')!).searchParams.get('RelayState')!;
        expect([v, offSiteReason(relay, appUrl)]).toEqual([v, null]);
        accepted.push(v);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('the ACS after a real signed dev-IdP response: never a Location off the site, no session', async () => {
    const b = browser();
    let fields = await devIdpAnswer(b);
    const accepted: string[] = [];
    for (const v of corpus) {
      const res = await b.postForm(`${appUrl}/login/callback`, { ...fields, RelayState: v });
      await expectRefusedOrOnSite(v, res);
      if (res.status !== 400) {
        accepted.push(v);
        b.cookies(appUrl).delete('__session');
        fields = await devIdpAnswer(b); // that answer is used up; get a fresh one
      }
      expect(b.cookies(appUrl).has('__session')).toBe(false);
    }
    expect(accepted).toEqual([]);
    // The answer refused for its return path was not used up: with a good one it signs in.
    const ok = await b.postForm(`${appUrl}/login/callback`, { ...fields, RelayState: '/history' });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe('/history');
  });

  it('legitimate paths round-trip through all three entry points', async () => {
    const { b, csrf } = await signedIn();
    for (const path of LEGITIMATE_REDIRECTS) {
      const get = await b.request(`${appUrl}/login?redirectTo=${encodeURIComponent(path)}`);
      expect([path, get.status, get.headers.get('location')]).toEqual([path, 302, path]);
      const post = await postLogin(b, csrf, path);
      expect([path, post.status, post.headers.get('location')]).toEqual([path, 303, path]);
      const anon = browser();
      const fields = await devIdpAnswer(anon, path);
      expect(fields.RelayState).toBe(path);
      const acs = await anon.postForm(`${appUrl}/login/callback`, fields);
      expect([path, acs.status, acs.headers.get('location')]).toEqual([path, 302, path]);
    }
  });

  it('the sign-in form carries redirectTo from an anonymous visit of a page unchanged', async () => {
    for (const path of ['/dns-records?page=2', '/certificate', '/history']) {
      const res = await t.request(path);
      expect(res.status).toBe(302);
      const login = res.headers.get('location')!;
      expect(login).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      const page = await t.request(login);
      const form = parseForms(await page.text()).find((f) => f.action === '/login')!;
      expect(form.fields.redirectTo).toBe(path);
    }
  });

  it('every page of the app (GET route) is a valid return path, protocol endpoints are not', () => {
    const notPages = ['/login', '/logout', '/sp', '/healthcheck', '/static', '/dev-idp', '/api'];
    // Update protocols (dyndns2, acme-dns): token-authenticated endpoints, not pages.
    notPages.push('/nic', '/v3', '/acme-dns');
    // Icons browsers ask for at fixed paths: files, not pages.
    notPages.push('/favicon.ico', '/apple-touch-icon.png', '/apple-touch-icon-precomposed.png');
    const routes = new Set<string>();
    for (const r of createApp(t.container).app.routes) if (r.method === 'GET') routes.add(r.path);
    expect(routes.size).toBeGreaterThan(20);
    for (const path of routes) {
      const sample = path.replace(/\/:[\w]+(\{[^}]*\})?/g, '/1');
      const isProtocol = notPages.some((p) => sample === p || sample.startsWith(`${p}/`));
      expect([sample, safeRedirectPath(sample, appUrl) === sample]).toEqual([sample, !isProtocol]);
    }
    expect(PAGE_SECTIONS.length).toBeGreaterThan(0);
  });
});
