/**
 * The development IdP drives the same SP code path as a production IdP; plus the signed-in layout,
 * landing page and policy refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedResponse, parseRedirectRequest } from '../../src/adapters/saml/dev-idp.js';
import { updateSession } from '../../src/db/repos/sessions.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { insertUser } from '../support/factories.js';
import { HttpBrowser, parseForms, startSignIn } from '../support/saml-flow.js';

const appUrl = 'http://localhost:8080';

async function signInAsDev(t: TestApp, identity: 'student' | 'faculty' | 'admin', to = '/') {
  const b = new HttpBrowser({ origin: appUrl, handler: t.request });
  const idpUrl = await startSignIn(b, appUrl, to);
  expect(idpUrl.startsWith(`${appUrl}/dev-idp/sso?SAMLRequest=`)).toBe(true);
  const picker = await b.request(idpUrl);
  expect(picker.status).toBe(200);
  const form = parseForms(await picker.text()).find((f) => f.action === '/dev-idp/sso')!;
  const auto = await b.postForm(`${appUrl}/dev-idp/sso`, { ...form.fields, identity });
  expect(auto.status).toBe(200);
  const post = parseForms(await auto.text()).find((f) => 'SAMLResponse' in f.fields)!;
  expect(post.action).toBe(`${appUrl}/login/callback`);
  const res = await b.postForm(post.action, post.fields);
  return { b, res };
}

/** A dev-IdP-signed response to a real request of this SP, with overrides. */
async function craftedPost(t: TestApp, over: Partial<Parameters<typeof buildSignedResponse>[0]>) {
  const b = new HttpBrowser({ origin: appUrl, handler: t.request });
  const url = new URL(await startSignIn(b, appUrl));
  const req = await parseRedirectRequest(url.searchParams.get('SAMLRequest')!);
  const devIdp = t.container.devIdp!;
  const xml = await buildSignedResponse(
    {
      idpEntityId: devIdp.entityId,
      audience: `${appUrl}/sp`,
      acsUrl: `${appUrl}/login/callback`,
      inResponseTo: req.id,
      nameId: 'x',
      attributes: {
        sAMAccountName: ['crafted'],
        email: ['crafted@example.edu'],
        group: ['mycustomdomain-students'],
      },
      now: Date.now(),
      ...over,
    },
    devIdp.keys,
  );
  const res = await b.postForm(`${appUrl}/login/callback`, {
    SAMLResponse: Buffer.from(xml).toString('base64'),
    RelayState: '/',
  });
  return { b, res };
}

describe('development IdP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { FOOTER_LINKS: 'Acceptable Use Policy|https://example.edu/aup' },
    });
  });
  afterAll(async () => t?.cleanup());

  it('publishes IdP metadata and the SP metadata', async () => {
    const idp = await t.request('/dev-idp/metadata');
    expect(idp.status).toBe(200);
    expect(await idp.text()).toContain(`entityID="${appUrl}/dev-idp/metadata"`);
    const sp = await t.request('/sp');
    expect(sp.headers.get('content-type')).toContain('xml');
    expect(await sp.text()).toContain(`entityID="${appUrl}/sp"`);
  });

  it.each([
    ['student', 'Dev Student', 'student'],
    ['faculty', 'Dev Faculty', 'faculty'],
    ['admin', 'Dev Admin', 'admin'],
  ] as const)('signs in as the %s test identity', async (identity, name, role) => {
    const { b, res } = await signInAsDev(t, identity, '/certificate');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/certificate');
    const home = await b.request(`${appUrl}/`);
    const html = await home.text();
    expect(html).toContain(`>${name}</span>`);
    expect(html).toContain('href="/dns-records"');
    expect(html).toContain('href="/certificate"');
    expect(html.includes('href="/admin"')).toBe(role === 'admin');
    expect(html).toContain('Create DNS Records');
    expect(html).toContain('Create Certificate');
    expect(html).toContain('href="https://example.edu/aup"');
    const form = parseForms(html).find((f) => f.action === '/logout')!;
    expect(form.fields._csrf).toBeTruthy();
  });

  it('ends the session and completes single logout at the development IdP', async () => {
    const { b } = await signInAsDev(t, 'student');
    const form = parseForms(await (await b.request(`${appUrl}/`)).text()).find(
      (f) => f.action === '/logout',
    )!;
    expect((await b.postForm(`${appUrl}/logout`, form.fields)).status).toBe(303);
    const page = await (await b.request(`${appUrl}/logout`)).text();
    expect(page).toContain('Dev Student');
    const everywhere = parseForms(page).find((f) => f.fields.everywhere === '1')!;
    const res = await b.postForm(`${appUrl}/logout`, everywhere.fields);
    const { res: done, url } = await b.follow(
      new URL(res.headers.get('location')!, appUrl).toString(),
    );
    expect(url.startsWith(`${appUrl}/logout/callback?SAMLResponse=`)).toBe(true);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Signed out everywhere');
    // A forged or replayed logout response is not confirmed.
    const again = await b.request(url);
    expect(again.status).toBe(400);
  });

  it('shows who is being impersonated', async () => {
    const admin = await insertUser(t.container.dbh.db, {
      role: 'admin',
      display_name: 'Ada Admin',
    });
    const target = await insertUser(t.container.dbh.db, { display_name: 'Stu Dent' });
    const agent = await t.agent(admin);
    const row = await t.container.dbh.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', admin.id)
      .executeTakeFirstOrThrow();
    await updateSession(t.container.dbh.db, row.id, { impersonated_user_id: target.id });
    const html = await (await agent.get('/')).text();
    expect(html).toContain(`Impersonating: Stu Dent (${target.username})`);
    expect(html).toContain(`${target.dns_label}.starchart.test`);
    expect(html).not.toContain('href="/admin"');
  });

  it('redirects anonymous visitors of / to the sign-in page', async () => {
    const res = await t.request('/');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?redirectTo=%2F');
    const login = await t.request('/login?redirectTo=%2F');
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('Sign In');
  });

  it('rejects a dev-IdP-signed response for another audience, with no session', async () => {
    const { b, res } = await craftedPost(t, { audience: 'https://elsewhere.example/sp' });
    expect(res.status).toBe(400);
    expect(b.cookies(appUrl).has('__session')).toBe(false);
  });

  it('refuses usernames that cannot become a DNS label', async () => {
    const { res } = await craftedPost(t, { attributes: { sAMAccountName: ['bad_name'] } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cannot be turned into a DNS name');
  });

  it('refuses a suspended user', async () => {
    await insertUser(t.container.dbh.db, { username: 'suspended1', suspended_at: Date.now() });
    const { res, b } = await craftedPost(t, {
      attributes: { sAMAccountName: ['suspended1'], email: ['s1@example.edu'] },
    });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Your account is suspended');
    // Nothing to try again: it says whom to contact (no SUPPORT_CONTACT here: the administrators).
    expect(html).not.toContain('Try again');
    expect(html).not.toContain('href="/login"');
    expect(html).toContain(`contact the administrators of ${t.config.productName}`);
    expect(html).not.toContain('id="support-contact"');
    expect(b.cookies(appUrl).has('__session')).toBe(false);
  });

  it('a suspended user is told the configured SUPPORT_CONTACT (email or URL)', async () => {
    for (const [contact, href] of [
      ['dns-help@example.edu', 'mailto:dns-help@example.edu'],
      ['https://help.example.edu/dns', 'https://help.example.edu/dns'],
    ] as const) {
      const other = await createTestApp({ env: { SUPPORT_CONTACT: contact } });
      try {
        await insertUser(other.container.dbh.db, {
          username: 'suspended2',
          suspended_at: Date.now(),
        });
        const { res } = await craftedPost(other, {
          attributes: { sAMAccountName: ['suspended2'], email: ['s2@example.edu'] },
        });
        expect(res.status).toBe(403);
        const html = await res.text();
        expect(html).toContain('Your account is suspended');
        expect(html).toContain(`<a href="${href}" id="support-contact">${contact}</a>`);
        expect(html).not.toContain('Try again');
      } finally {
        await other.cleanup();
      }
    }
  });

  it('the development IdP is not mounted when an IdP is configured', async () => {
    const { startSimpleSamlPhp } = await import('../support/simplesamlphp.js');
    const ssp = await startSimpleSamlPhp({ serviceProviders: [] });
    const other = await createTestApp({ env: { SAML_IDP_METADATA_PATH: ssp.metadataPath } });
    try {
      expect(other.container.devIdp).toBeNull();
      expect((await other.request('/dev-idp/metadata')).status).toBe(404);
    } finally {
      await other.cleanup();
      await ssp.stop();
    }
  });
});

describe('SAML_REQUIRE_GROUP=1', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SAML_REQUIRE_GROUP: '1' } });
  });
  afterAll(async () => t?.cleanup());

  it('refuses people in none of the role groups and admits members', async () => {
    const refused = await craftedPost(t, {
      attributes: { sAMAccountName: ['outsider'], group: ['some-other-group'] },
    });
    expect(refused.res.status).toBe(403);
    expect(await refused.res.text()).toContain('not in any of the groups');
    const ok = await craftedPost(t, {
      attributes: {
        sAMAccountName: ['insider'],
        email: ['insider@example.edu'],
        group: ['mycustomdomain-dev-students'],
      },
    });
    expect(ok.res.status).toBe(302);
  });
});
