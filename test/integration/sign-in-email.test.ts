/**
 * What the IdP asserts about a person is checked before it is stored (issue 16): an email address that
 * is garbage or hostile refuses the sign-in with a page saying what was wrong and a log line for the
 * operator, and stores nothing; valid addresses are normalised; display names and groups lose control
 * and invisible formatting characters; usernames with look-alike letters cannot claim a DNS label.
 * Real signed responses from the development IdP's key to real requests of this SP.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedResponse, parseRedirectRequest } from '../../src/adapters/saml/dev-idp.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { HOSTILE_EMAILS, VALID_EMAILS } from '../support/email-corpus.js';
import { insertUser } from '../support/factories.js';
import { HttpBrowser, startSignIn } from '../support/saml-flow.js';

const appUrl = 'http://localhost:8080';

describe('attributes from the IdP at sign-in', () => {
  let t: TestApp;
  const logs: { msg?: string; reason?: string }[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      logger: pino(
        { level: 'info' },
        { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) },
      ),
    });
  });
  afterAll(async () => t?.cleanup());

  let n = 0;
  const uniqueName = () => `attr${process.pid}x${++n}`;
  const db = () => t.container.dbh.db;
  const userRow = (username: string) =>
    db().selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();

  /** Sign in with a dev-IdP-signed response carrying these attributes; the answer of the ACS. */
  const signIn = async (attributes: Record<string, string[]>) => {
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
        nameId: attributes.sAMAccountName?.[0] ?? 'x',
        attributes: { group: ['mycustomdomain-students'], ...attributes },
        now: Date.now(),
      },
      devIdp.keys,
    );
    const res = await b.postForm(`${appUrl}/login/callback`, {
      SAMLResponse: Buffer.from(xml).toString('base64'),
      RelayState: '/',
    });
    return { b, res, html: await res.text() };
  };

  const expectEmailRefused = async (username: string, email: string[] | undefined) => {
    const logged = logs.length;
    const { b, res, html } = await signIn({
      sAMAccountName: [username],
      displayname: ['Mallory'],
      ...(email ? { email } : {}),
    });
    expect([JSON.stringify(email), res.status]).toEqual([JSON.stringify(email), 403]);
    expect(html).toContain('<h1>Sign-in failed</h1>');
    expect(html).toMatch(/email address/);
    expect(html).toContain('Ask your IT service desk');
    expect(b.cookies(appUrl).has('__session')).toBe(false);
    const line = logs.slice(logged).find((l) => l.msg === 'sign-in failed');
    expect(line?.reason).toMatch(new RegExp(`^refused invalid-email \\(${username}\\): `));
    return html;
  };

  it('refuses every hostile or garbage email address, says why, and stores nothing', async () => {
    for (const email of HOSTILE_EMAILS) {
      const username = uniqueName();
      await expectEmailRefused(username, [email]);
      expect(await userRow(username)).toBeUndefined();
    }
    const sessions = await db().selectFrom('sessions').select('id').execute();
    expect(sessions).toEqual([]);
  });

  it('names the problem on the page and in the log', async () => {
    const username = uniqueName();
    const logged = logs.length;
    const html = await expectEmailRefused(username, [
      'victim@example.edu\r\nBcc: attacker@evil.example',
    ]);
    expect(html).toContain('contains a line break or another control character');
    const line = logs.slice(logged).find((l) => l.msg === 'sign-in failed')!;
    expect(line.reason).toContain('Bcc: attacker@evil.example');
    expect(line.reason).toContain('line break');
    const none = await expectEmailRefused(uniqueName(), undefined);
    expect(none).toContain('did not send an email address for you (attribute &quot;email&quot;)');
  });

  it('leaves an existing account untouched when its next sign-in asserts a bad address', async () => {
    const username = uniqueName();
    const first = await signIn({
      sAMAccountName: [username],
      email: [`${username}@example.edu`],
      displayname: ['Kept Name'],
    });
    expect(first.res.status).toBe(302);
    const before = await userRow(username);
    await expectEmailRefused(username, ['attacker@evil.example, victim@example.edu']);
    expect(await userRow(username)).toEqual(before);
  });

  it('stores valid addresses normalised: trimmed, domain in lower case', async () => {
    for (const [given, stored] of VALID_EMAILS) {
      const username = uniqueName();
      const { res } = await signIn({ sAMAccountName: [username], email: [given] });
      expect([given, res.status]).toEqual([given, 302]);
      expect((await userRow(username))!.email).toBe(stored);
    }
  });

  it('cleans display names and group names of line breaks, controls and invisible formatting', async () => {
    const username = uniqueName();
    const { b, res } = await signIn({
      sAMAccountName: [username],
      email: [`${username}@example.edu`],
      displayname: ['  Eve\r\nBcc: attacker@evil.example\u202e\u200b\u0000  Smith  '],
      group: ['mycustomdomain-students\r\n', 'other\u2028group', '\u200b'],
    });
    expect(res.status).toBe(302);
    const row = (await userRow(username))!;
    expect(row.display_name).toBe('Eve Bcc: attacker@evil.example Smith');
    expect(JSON.parse(row.groups)).toEqual(['mycustomdomain-students', 'other group']);
    const home = await (await b.request(`${appUrl}/`)).text();
    expect(home).toContain('>Eve Bcc: attacker@evil.example Smith</span>');
    // A display name of nothing but invisible characters falls back to the username.
    const other = uniqueName();
    await signIn({
      sAMAccountName: [other],
      email: [`${other}@example.edu`],
      displayname: ['\u200b\u202e\r\n'],
    });
    expect((await userRow(other))!.display_name).toBe(other);
  });

  it('refuses a username with a look-alike letter that lower-cases into another label', async () => {
    const kate = await insertUser(db(), { username: `kate${n}`, dns_label: `kate${n}` });
    const { res, html } = await signIn({
      sAMAccountName: [`\u212Aate${n}`], // KELVIN SIGN, lower-cases to "k"
      email: ['mallory@example.edu'],
    });
    expect(res.status).toBe(403);
    expect(html).toContain('cannot be turned into a DNS name');
    expect(await userRow(`\u212Aate${n}`)).toBeUndefined();
    expect((await userRow(kate.username))!.email).toBe(kate.email);
  });
});
