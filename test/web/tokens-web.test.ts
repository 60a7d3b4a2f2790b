/**
 * The Tokens page and the token parts of the admin user page and the DNS records page, on both
 * dialects: creation with field errors kept, the secret and TSIG key shown once (never again in any
 * later response or the audit log), the scoped list, revoke (confirmation without JS, CSRF, another
 * user's token is not found), refusal while impersonating, an admin listing and revoking a user's
 * tokens, and the challenge values written by a user's own ACME client.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { User } from '../../src/db/schema.js';
import { addClientChallenge } from '../../src/domain/dns-records/client-challenges.js';
import { authenticateToken, createToken } from '../../src/domain/tokens/tokens.js';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const TOKEN = /stc_[a-z2-7]{12}[A-Za-z0-9_-]{43}/;

describe.each(DIALECTS)('Tokens pages (%s)', (dialect) => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let admin: User;
  let a: Agent;
  const db = () => t.container.dbh.db;
  const tokenRows = (u: User) =>
    db().selectFrom('api_tokens').selectAll().where('user_id', '=', u.id).orderBy('id').execute();
  const tokenDeps = () => ({ db: db(), config: t.config, clock: t.container.clock });
  const as = (u: User, tokenId?: number) => ({
    user: u,
    effectiveUser: u,
    requestId: null,
    tokenId,
  });

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    alice = await insertUser(db(), { display_name: 'Alice' });
    bob = await insertUser(db());
    admin = await insertUser(db(), { role: 'admin' });
    a = await t.agent(alice);
  });
  afterAll(async () => t?.cleanup());

  /** Every response alice could see after creation, to prove the secret never comes back. */
  const laterResponses = async (agent: Agent) => {
    const pages: string[] = [];
    for (const p of ['/tokens', '/dns-records', '/history', '/', '/tokens?done=revoked'])
      pages.push(await (await agent.get(p)).text());
    return pages.join('\n');
  };

  test('the page is in the navigation, needs a sign-in, and links the API docs', async () => {
    const anon = await t.request('/tokens');
    expect(anon.status).toBe(302);
    expect(anon.headers.get('location')).toBe('/login?redirectTo=%2Ftokens');
    const res = await a.get('/tokens');
    expect(res.status).toBe(200);
    const html = await res.text();
    // The link's icon (an inline SVG) comes before its text.
    expect(html).toMatch(
      /<a href="\/tokens" aria-current="page">(<svg[^>]*>.*?<\/svg>)?Tokens<\/a>/,
    );
    expect(html).toContain('href="/docs/api"');
    expect(html).toContain('No tokens yet.');
    for (const p of ['records:read', 'records:write', 'certificate:read'])
      expect(html).toContain(p);
  });

  test('field errors re-render the form with every value kept and create nothing', async () => {
    const res = await a.post('/tokens', {
      name: '',
      expiresInDays: '9999',
      perm_records_read: 'on',
      names: 'laptop, *.*.lab',
      type_TXT: 'on',
      subnets: '10.0.0.0/33',
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Please correct the highlighted fields.');
    expect(html).toContain('Give the token a name');
    expect(html).toContain(`Choose a whole number of days from 1 to ${t.config.tokens.maxDays}.`);
    expect(html).toContain('too many parts');
    expect(html).toContain('is not an address range');
    expect(html).toContain('value="9999"');
    expect(html).toContain('laptop, *.*.lab</textarea>');
    expect(html).toContain('10.0.0.0/33</textarea>');
    expect(html).toMatch(/name="perm_records_read" value="on" checked=""/);
    expect(html).not.toMatch(/name="perm_records_write" value="on" checked/);
    expect(html).toMatch(/name="type_TXT" value="on" checked=""/);
    expect(html).toMatch(/id="token-name" name="name" value=""[^>]*aria-invalid="true"/);
    // The narrowing section opens by itself when one of its fields has an error.
    expect(html).toMatch(/<details class="narrowing" open="">/);
    expect(await tokenRows(alice)).toEqual([]);
  });

  test('the secret and TSIG key are shown once, with snippets, and never again', async () => {
    const res = await a.post('/tokens', {
      name: 'home server',
      expiresInDays: '30',
      perm_records_write: 'on',
      names: 'laptop\nhome, _acme-challenge',
      type_A: 'on',
      type_TXT: 'on',
      subnets: '192.0.2.0/24',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    const secret = TOKEN.exec(html)![0];
    const [row] = await tokenRows(alice);
    expect(row).toMatchObject({ name: 'home server', revoked_at: null });
    expect(secret.slice(4, 16)).toBe(row!.public_id);
    expect(JSON.parse(row!.names!)).toEqual(['laptop', 'home', '_acme-challenge']);
    expect(JSON.parse(row!.types!)).toEqual(['A', 'TXT']);
    // The shown token works (from inside its range).
    const auth = await authenticateToken(tokenDeps(), secret, '192.0.2.9');
    expect(auth.user.id).toBe(alice.id);

    const keyName = `${row!.public_id}.tsig`;
    const tsigSecret = new RegExp(
      `hmac-sha256:${keyName.replace('.', '\\.')}:([A-Za-z0-9+/=]+)`,
    ).exec(html)![1]!;
    expect(Buffer.from(tsigSecret, 'base64')).toHaveLength(32);
    const base = `${alice.dns_label}.${t.config.rootDomain}`;
    // One collapsible section per client, each with the values it needs.
    for (const id of [
      'curl',
      'ddclient',
      'nsupdate',
      'certbot',
      'lego-rfc2136',
      'lego-acmedns',
      'caddy',
      'cert-manager',
    ])
      expect(html).toContain(`<details class="snippet-group" id="snippet-${id}">`);
    expect(html).toContain('Authorization: Bearer $STARCHART_TOKEN');
    expect(html).toContain(`export STARCHART_TOKEN=&#39;${secret}&#39;`);
    expect(html).toContain('http://localhost:8080/api/v1/records');
    expect(html).toContain('protocol=dyndns2');
    expect(html).toContain('ssl=no'); // APP_URL is http: here
    expect(html).toContain('server=localhost:8080');
    expect(html).toContain(`login=${alice.username}`);
    expect(html).toContain(`http://localhost:8080/nic/update?hostname=laptop.${base}`);
    expect(html).toContain(`server 127.0.0.1 ${t.config.dns.embeddedServer.port}`);
    expect(html).toContain(`dns_rfc2136_name = ${keyName}`);
    expect(html).toContain(`dns_rfc2136_secret = ${tsigSecret}`);
    expect(html).toContain('dns_rfc2136_algorithm = HMAC-SHA256');
    expect(html).toContain(`RFC2136_TSIG_KEY=${keyName}`);
    expect(html).toContain('RFC2136_TSIG_ALGORITHM=hmac-sha256.');
    expect(html).toContain('ACME_DNS_API_BASE=http://localhost:8080/acme-dns');
    expect(html).toContain(`&quot;*.${base}&quot;: {`);
    expect(html).toContain(`&quot;fulldomain&quot;: &quot;_acme-challenge.${base}&quot;`);
    expect(html).toContain(`&quot;username&quot;: &quot;${row!.public_id}&quot;`);
    expect(html).toContain('dns acmedns {');
    expect(html).toContain('acmeDNS:');
    expect(html).toContain('host: http://localhost:8080/acme-dns');

    // Never again: not on the list, not on any other page, not in the audit log.
    const later = await laterResponses(a);
    expect(later).toContain('home server');
    expect(later).not.toContain(secret);
    expect(later).not.toContain(secret.slice(16));
    expect(later).not.toContain(tsigSecret);
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'token.create')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(16));
    expect(JSON.stringify(audit)).not.toContain(tsigSecret);
    // The list shows the scope in words.
    const list = await (await a.get('/tokens')).text();
    expect(list).toContain('change records');
    expect(list).toContain('laptop, home, _acme-challenge');
    expect(list).toContain('types: A, TXT');
    expect(list).toContain('192.0.2.0/24');
    expect(list).toContain('<span class="badge ok">active</span>');
    // Last use (from the authentication above): time and address.
    expect(list).toContain('192.0.2.9');
  });

  test('the snippets the page shows work against the real endpoints (REST API, dyndns2, acme-dns)', async () => {
    const u = await insertUser(db());
    const agent = await t.agent(u);
    await agent.get('/tokens');
    const html = await (
      await agent.post('/tokens', {
        name: 'snippets',
        expiresInDays: '1',
        perm_records_write: 'on',
      })
    ).text();
    const unescape = (x: string) =>
      x
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&amp;', '&');
    const codes = (id: string) => {
      const group = new RegExp(`id="snippet-${id}">([\\s\\S]*?)</details>`).exec(html)![1]!;
      return [...group.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => unescape(m[1]!));
    };
    const secret = TOKEN.exec(html)![0];

    // curl: the JSON body and the URL it posts to.
    const curl = codes('curl')[0]!;
    const body = /-d '([^']+)'/.exec(curl)![1]!;
    const created = await t.request('/api/v1/records', {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(curl).toContain(
      `curl -H "Authorization: Bearer $STARCHART_TOKEN" ${t.config.appUrl}/api/v1/records`,
    );

    // dyndns2: the update URL with the Basic credentials it shows.
    const update = codes('ddclient')[1]!;
    const [, login, url] = /curl -u '([^']+)' \\\n {2}'([^']+)'/.exec(update)!;
    const answer = await t.request(url!.replace(t.config.appUrl, ''), {
      headers: { authorization: `Basic ${Buffer.from(login!).toString('base64')}` },
    });
    expect(await answer.text()).toMatch(/^(good|nochg) 192\.0\.2\.10/);

    // acme-dns: the stored account, as lego or cert-manager would send it.
    const storage = JSON.parse(codes('lego-acmedns')[0]!) as Record<
      string,
      { username: string; password: string; subdomain: string; server_url: string }
    >;
    const account = storage[`*.${u.dns_label}.${t.config.rootDomain}`]!;
    const txt = 'x'.repeat(43);
    const acme = await t.request(`${account.server_url.replace(t.config.appUrl, '')}/update`, {
      method: 'POST',
      headers: {
        'x-api-user': account.username,
        'x-api-key': account.password,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ subdomain: account.subdomain, txt }),
    });
    expect(acme.status, await acme.clone().text()).toBe(200);
    const page = await (await agent.get('/dns-records')).text();
    expect(page).toContain(`_acme-challenge.${u.dns_label}.${t.config.rootDomain}`);
    expect(page).toContain('token “snippets”');
  });

  test('the list shows expired and revoked tokens as such, without a Revoke button', async () => {
    const u = await insertUser(db());
    const past = { ...tokenDeps(), clock: { now: () => Date.now() - 10 * 86_400_000 } };
    const input = {
      expiresInDays: 1,
      permissions: ['records:read'],
      names: [],
      types: [],
      subnets: [],
    };
    const old = await createToken(past, as(u), { ...input, name: 'old one' });
    const live = await createToken(tokenDeps(), as(u), { ...input, name: 'live one' });
    const agent = await t.agent(u);
    await agent.post(`/tokens/${live.token.id}/revoke`, { confirm: 'yes' });
    const html = await (await agent.get('/tokens')).text();
    expect(html).toContain('<span class="badge warn">expired</span>');
    expect(html).toContain('<span class="badge err">revoked</span>');
    expect(html).toContain('(0 active)');
    expect(html).not.toContain(`href="/tokens/${old.token.id}/revoke"`);
    expect(html).not.toContain(`href="/tokens/${live.token.id}/revoke"`);
  });

  test('revoke asks first without JavaScript, then revokes once and audits it', async () => {
    const u = await insertUser(db());
    const agent = await t.agent(u);
    const input = {
      name: 'to revoke',
      expiresInDays: 5,
      permissions: ['records:read'],
      names: [],
      types: [],
      subnets: [],
    };
    const created = await createToken(tokenDeps(), as(u), input);
    const id = created.token.id;
    const list = await (await agent.get('/tokens')).text();
    // Revoke is a link to the confirmation page (app.js shows its question in a <dialog>).
    expect(list).toMatch(
      new RegExp(`<a class="btn danger small" href="/tokens/${id}/revoke" data-dialog=""`),
    );
    expect(list).not.toContain('data-confirm');

    // A POST without confirm=yes (none, or empty) shows the question and revokes nothing.
    for (const form of [{}, { confirm: '' }, { confirm: 'no' }] as Record<string, string>[]) {
      const ask = await agent.post(`/tokens/${id}/revoke`, form);
      expect(ask.status).toBe(200);
      const text = await ask.text();
      expect(text).toContain('<input type="hidden" name="confirm" value="yes"/>');
      expect(text).toContain('<h1 id="confirm-title">Revoke token</h1>');
    }
    expect((await tokenRows(u))[0]!.revoked_at).toBeNull();
    const page = await agent.get(`/tokens/${id}/revoke`);
    expect(page.status).toBe(200);
    const pageHtml = await page.text();
    expect(pageHtml).toContain('<html');
    expect(pageHtml).toContain(`action="/tokens/${id}/revoke"`);
    expect(pageHtml).toContain('href="/tokens"');
    // The question alone for the dialog: no page around it, a lower heading, Cancel closes it.
    const fragment = await agent.get(`/tokens/${id}/revoke`, { 'hx-request': 'true' });
    expect(fragment.status).toBe(200);
    expect(fragment.headers.get('vary')).toContain('HX-Request');
    const part = await fragment.text();
    expect(part).not.toContain('<html');
    expect(part).toContain('<h2 id="confirm-title">Revoke token</h2>');
    expect(part).toContain('data-close=""');
    expect((await tokenRows(u))[0]!.revoked_at).toBeNull();

    const res = await agent.post(`/tokens/${id}/revoke`, { confirm: 'yes' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/tokens?done=revoked');
    const [row] = await tokenRows(u);
    expect(row!.revoked_at).not.toBeNull();
    expect(row!.revoked_by_user_id).toBe(u.id);
    await expect(authenticateToken(tokenDeps(), created.secret, '192.0.2.1')).rejects.toMatchObject(
      {
        reason: 'revoked',
      },
    );
    expect(await (await agent.get('/tokens?done=revoked')).text()).toContain('Token revoked.');
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'token.revoke')
      .where('effective_user_id', '=', u.id)
      .execute();
    expect(audit).toHaveLength(1);
  });

  test('CSRF: creating and revoking without the token are refused, nothing changes', async () => {
    const u = await insertUser(db());
    const agent = await t.agent(u);
    const created = await createToken(tokenDeps(), as(u), {
      name: 'csrf',
      expiresInDays: 5,
      permissions: ['records:read'],
      names: [],
      types: [],
      subnets: [],
    });
    const make = await agent.post(
      '/tokens',
      { name: 'x', expiresInDays: '5', perm_records_read: 'on' },
      { csrf: false },
    );
    expect(make.status).toBe(403);
    expect(await make.text()).not.toMatch(TOKEN);
    const revoke = await agent.post(
      `/tokens/${created.token.id}/revoke`,
      { confirm: 'yes' },
      { csrf: false },
    );
    expect(revoke.status).toBe(403);
    const rows = await tokenRows(u);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.revoked_at).toBeNull();
  });

  test('another user cannot see or revoke your token (404); non-admins cannot use the admin route', async () => {
    const created = await createToken(tokenDeps(), as(alice), {
      name: 'alice only',
      expiresInDays: 5,
      permissions: ['records:read'],
      names: [],
      types: [],
      subnets: [],
    });
    const b = await t.agent(bob);
    await b.get('/tokens');
    expect(await (await b.get('/tokens')).text()).not.toContain('alice only');
    expect((await b.get(`/tokens/${created.token.id}/revoke`)).status).toBe(404);
    expect((await b.post(`/tokens/${created.token.id}/revoke`, { confirm: 'yes' })).status).toBe(
      404,
    );
    expect((await b.post(`/tokens/${created.token.id}/revoke`, { confirm: '' })).status).toBe(404);
    expect((await b.post('/tokens/not-a-number/revoke', { confirm: 'yes' })).status).toBe(404);
    expect(
      (
        await b.post(`/admin/users/${alice.id}/tokens/${created.token.id}/revoke`, {
          confirm: 'yes',
        })
      ).status,
    ).toBe(404);
    const row = (await tokenRows(alice)).find((r) => r.id === created.token.id)!;
    expect(row.revoked_at).toBeNull();
  });

  test('while impersonating, creation is refused and said so; nothing is created', async () => {
    const target = await insertUser(db());
    const ad = await t.agent(admin);
    await ad.get(`/admin/users/${target.id}`);
    expect((await ad.post(`/admin/users/${target.id}/impersonate`)).status).toBe(303);
    const page = await (await ad.get('/tokens')).text();
    expect(page).toContain('id="impersonation-refusal"');
    expect(page).toContain('Tokens cannot be created while impersonating');
    expect(page).not.toContain('action="/tokens" ');
    const res = await ad.post('/tokens', {
      name: 'sneaky',
      expiresInDays: '5',
      perm_records_write: 'on',
    });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Tokens cannot be created while impersonating');
    expect(html).not.toMatch(TOKEN);
    expect(await tokenRows(target)).toEqual([]);
    expect(await tokenRows(admin)).toEqual([]);
  });

  test("the admin user page lists a user's tokens and the admin revokes one (audited as the admin)", async () => {
    const u = await insertUser(db());
    const input = {
      expiresInDays: 5,
      permissions: ['records:write'],
      names: ['laptop'],
      types: [],
      subnets: [],
    };
    const one = await createToken(tokenDeps(), as(u), { ...input, name: 'pipeline one' });
    await createToken(tokenDeps(), as(u), { ...input, name: 'pipeline two' });
    const ad = await t.agent(admin);
    const page = await (await ad.get(`/admin/users/${u.id}`)).text();
    expect(page).toContain('Access tokens (2 active)');
    expect(page).toContain('pipeline one');
    expect(page).toContain('pipeline two');
    expect(page).toContain(
      `href="/admin/users/${u.id}/tokens/${one.token.id}/revoke" data-dialog=""`,
    );
    const question = await ad.get(`/admin/users/${u.id}/tokens/${one.token.id}/revoke`, {
      'hx-request': 'true',
    });
    expect(await question.text()).toContain(`of ${u.username}?`);
    expect(page).not.toMatch(TOKEN);

    const ask = await ad.post(`/admin/users/${u.id}/tokens/${one.token.id}/revoke`, {
      confirm: '',
    });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain(`of ${u.username}?`);
    const res = await ad.post(`/admin/users/${u.id}/tokens/${one.token.id}/revoke`, {
      confirm: 'yes',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/users/${u.id}?done=token-revoked`);
    const row = (await tokenRows(u)).find((r) => r.id === one.token.id)!;
    expect(row.revoked_by_user_id).toBe(admin.id);
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'token.revoke')
      .where('target_id', '=', String(one.token.id))
      .execute();
    expect(audit).toMatchObject([{ actor_user_id: admin.id, effective_user_id: u.id }]);
    const after = await (await ad.get(`/admin/users/${u.id}?done=token-revoked`)).text();
    expect(after).toContain('Access tokens (1 active)');
    expect(after).toContain('Token revoked.');
    // A token of another user under this user's id is not found.
    const other = await createToken(tokenDeps(), as(bob), { ...input, name: 'bob' });
    expect(
      (await ad.post(`/admin/users/${u.id}/tokens/${other.token.id}/revoke`, { confirm: 'yes' }))
        .status,
    ).toBe(404);
  });

  test('the DNS records page shows challenge values written by the user’s own client', async () => {
    const u = await insertUser(db());
    const agent = await t.agent(u);
    expect(await (await agent.get('/dns-records')).text()).not.toContain(
      'challenge values from your own clients',
    );
    const created = await createToken(tokenDeps(), as(u), {
      name: 'certbot on the VPS',
      expiresInDays: 5,
      permissions: ['records:write'],
      names: [],
      types: [],
      subnets: [],
    });
    const value = 'Q3hJ5b1m0mTqz8QyFzq2cJk3Ysd8Xbq5wRr0yTAaZpM';
    const deps = { db: db(), config: t.config, clock: t.container.clock, queue: t.container.queue };
    await addClientChallenge(deps, as(u, Number(created.token.id)), '_acme-challenge.www', value);
    const html = await (await agent.get('/dns-records')).text();
    expect(html).toContain('Certificate challenge values from your own clients');
    expect(html).toContain('written by your ACME client and removed automatically');
    expect(html).toContain(`_acme-challenge.www.${u.dns_label}.${t.config.rootDomain}`);
    expect(html).toContain(`token “certbot on the VPS”`);
    // The value is truncated, with the whole of it in the title.
    expect(html).toContain(`${value.slice(0, 23)}…`);
    expect(html).toContain(`title="${value}"`);
    // The record count is untouched: challenge values are not records.
    expect(html).toMatch(/id="record-count">\s*0 \/ /);
  });
});
