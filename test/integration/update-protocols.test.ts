/**
 * The update protocols' HTTP edges on both dialects: dyndns2 (`/nic/update`) and acme-dns
 * (`/acme-dns/update`). Every answer word and its status; scope; expired, revoked and suspended tokens
 * → badauth / forbidden; a token used outside its address ranges; an unchanged address (nochg) writes
 * nothing (every table compared, and on SQLite the connection's change counter); rate limits → abuse /
 * 429 with Retry-After; a hostile corpus of query strings, headers and bodies gets protocol refusals,
 * never a 500, with the heap measured before and after; refusals are logged with a reason, never the
 * secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { renewEveryMs } from '../../src/domain/dns-records/address-records.js';
import { expireClientChallenges } from '../../src/domain/dns-records/client-challenges.js';
import { createToken, revokeToken } from '../../src/domain/tokens/tokens.js';
import type { User } from '../../src/db/schema.js';
import { DIALECTS } from '../support/db.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { insertUser } from '../support/factories.js';

const ROOT = 'starchart.test';
const DIGEST = 'LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo';
const DIGEST2 = 'Yk2Ml7TVbHWgVkuVV1x1tfJDJ0r_ws2Zl_G2vD8-3zM';
const DIGEST3 = 'abcdefghijabcdefghijabcdefghijabcdefghij123';

describe.each(DIALECTS)('update protocols on %s', (dialect) => {
  let t: TestApp;
  const deps = () => t.container.jobDeps;
  const db = () => t.container.dbh.db;

  async function userWithToken(
    over: Record<string, unknown> = {},
    user?: User,
  ): Promise<{ user: User; token: string; publicId: string; id: number }> {
    const u = user ?? (await insertUser(db()));
    const created = await createToken(
      deps(),
      { user: u, effectiveUser: u, requestId: null },
      {
        name: 'test',
        expiresInDays: 30,
        permissions: ['records:write'],
        names: [],
        types: [],
        subnets: [],
        ...over,
      },
    );
    return {
      user: u,
      token: created.secret,
      publicId: created.token.public_id,
      id: created.token.id,
    };
  }

  const basic = (user: string, pass: string) =>
    `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  async function nic(
    query: string,
    auth: string | null,
    from = '203.0.113.9',
    init: RequestInit = {},
  ): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await t.app.request(
      `/nic/update?${query}`,
      { ...init, headers: { ...(auth ? { authorization: auth } : {}), ...init.headers } },
      { remoteAddress: from },
    );
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  async function acme(
    headers: Record<string, string>,
    body: string,
    from = '203.0.113.9',
  ): Promise<{ status: number; json: Record<string, string>; headers: Headers }> {
    const res = await t.app.request(
      '/acme-dns/update',
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body },
      { remoteAddress: from },
    );
    const text = await res.text();
    expect(res.headers.get('content-type')).toBe('application/json');
    return {
      status: res.status,
      json: JSON.parse(text) as Record<string, string>,
      headers: res.headers,
    };
  }

  const records = (userId: number) =>
    db()
      .selectFrom('dns_records')
      .select(['subdomain', 'type', 'value', 'expires_at', 'updated_at'])
      .where('user_id', '=', userId)
      .orderBy('type')
      .orderBy('value')
      .execute();

  /** Every table a change could touch, as it is now. */
  async function snapshot(): Promise<string> {
    const tables = [
      'dns_records',
      'audit_log',
      'api_tokens',
      'acme_challenges',
      'dns_labels',
      'dns_zone_changes',
      'users',
    ] as const;
    const out: unknown[] = [];
    for (const table of tables) out.push(await db().selectFrom(table).selectAll().execute());
    return JSON.stringify(out);
  }
  /** SQLite: rows changed on the app's connection so far (every write goes through it). */
  async function sqliteChanges(): Promise<number | null> {
    if (dialect !== 'sqlite') return null;
    const r = await sql<{ n: number }>`select total_changes() as n`.execute(db());
    return Number(r.rows[0]!.n);
  }

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      env: { API_RATE_LIMIT_TOKEN_PER_MINUTE: '1000', API_RATE_LIMIT_USER_PER_MINUTE: '1000' },
    });
  });
  afterAll(async () => t?.cleanup());

  it('dyndns2: good creates, nochg writes nothing, a new address is good again; both families', async () => {
    const { user, token } = await userWithToken();
    const host = `home.${user.dns_label}.${ROOT}`;
    const auth = basic(user.username, token);

    const first = await nic(`hostname=${host}&myip=192.0.2.7`, auth);
    expect(first).toMatchObject({ status: 200, body: 'good 192.0.2.7\n' });
    expect(first.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect((await records(user.id)).map((r) => [r.subdomain, r.type, r.value])).toEqual([
      ['home', 'A', '192.0.2.7'],
    ]);

    const before = await snapshot();
    const changes = await sqliteChanges();
    for (let i = 0; i < 5; i++)
      expect(await nic(`hostname=${host}&myip=192.0.2.7`, auth)).toMatchObject({
        status: 200,
        body: 'nochg 192.0.2.7\n',
      });
    expect(await snapshot()).toBe(before);
    if (changes !== null) expect(await sqliteChanges()).toBe(changes);

    expect((await nic(`hostname=${host}&myip=192.0.2.8`, auth)).body).toBe('good 192.0.2.8\n');
    // IPv6 alone keeps the A record; then both at once, comma-separated, with myipv6.
    expect((await nic(`hostname=${host}&myip=2001:db8::1`, auth)).body).toBe('good 2001:db8::1\n');
    expect((await nic(`hostname=${host}&myip=192.0.2.8&myipv6=2001:DB8:0::1`, auth)).body).toBe(
      'nochg 192.0.2.8,2001:db8::1\n',
    );
    expect((await records(user.id)).map((r) => [r.type, r.value])).toEqual([
      ['A', '192.0.2.8'],
      ['AAAA', '2001:db8::1'],
    ]);
    // No myip: the caller's address (IPv4-mapped IPv6 as IPv4).
    expect((await nic(`hostname=${host}`, auth, '::ffff:198.51.100.4')).body).toBe(
      'good 198.51.100.4\n',
    );
    // Several hostnames: one line each; a trailing dot and upper case are fine.
    const r = await nic(
      `hostname=${host.toUpperCase()}.,nas.${user.dns_label}.${ROOT},other.example.com&myip=192.0.2.9`,
      auth,
    );
    expect(r.body).toBe('good 192.0.2.9\ngood 192.0.2.9\nnohost\n');
    // The audit rows name the token and never hold the secret.
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('effective_user_id', '=', user.id)
      .execute();
    expect(audit.filter((a) => a.action === 'dns-record.create').length).toBeGreaterThan(0);
    expect(audit.every((a) => a.action === 'token.create' || a.token_id !== null)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(token.slice(16));
  });

  it('dyndns2: renews expiry on an unchanged address at most once per renewal period', async () => {
    const { user, token } = await userWithToken();
    const host = `web.${user.dns_label}.${ROOT}`;
    const auth = basic(user.username, token);
    await nic(`hostname=${host}&myip=192.0.2.1`, auth);
    const lifetimeDays = t.config.dns.recordLifetimeDays;
    const old = Date.now() + lifetimeDays * 86_400_000 - renewEveryMs(lifetimeDays) - 60_000;
    await db()
      .updateTable('dns_records')
      .set({ expires_at: old })
      .where('user_id', '=', user.id)
      .execute();
    expect((await nic(`hostname=${host}&myip=192.0.2.1`, auth)).body).toBe('nochg 192.0.2.1\n');
    const [row] = await records(user.id);
    expect(Number(row!.expires_at)).toBeGreaterThan(old);
    const renewals = await db()
      .selectFrom('audit_log')
      .select('action')
      .where('effective_user_id', '=', user.id)
      .where('action', '=', 'dns-record.renew')
      .execute();
    expect(renewals).toHaveLength(1);
    const before = await snapshot();
    expect((await nic(`hostname=${host}&myip=192.0.2.1`, auth)).body).toBe('nochg 192.0.2.1\n');
    expect(await snapshot()).toBe(before);
  });

  it('dyndns2: badauth (401 + WWW-Authenticate) for every unusable credential', async () => {
    const { user, token, id } = await userWithToken();
    const host = `home.${user.dns_label}.${ROOT}`;
    const q = `hostname=${host}&myip=192.0.2.7`;
    const bad = async (auth: string | null) => {
      const r = await nic(q, auth);
      expect(r.status).toBe(401);
      expect(r.body).toBe('badauth\n');
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    };
    await bad(null);
    await bad('Bearer ' + token);
    await bad('Basic !!!');
    await bad(basic(user.username, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')));
    await bad(basic('someone-else', token));
    await bad(basic(user.username, 'not-a-token'));
    // Read-only token: cannot update.
    const ro = await userWithToken({ permissions: ['records:read'] }, user);
    await bad(basic(user.username, ro.token));
    // Expired.
    const exp = await userWithToken({}, user);
    await db()
      .updateTable('api_tokens')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', exp.id)
      .execute();
    await bad(basic(user.username, exp.token));
    // Revoked.
    await revokeToken(deps(), { user, effectiveUser: user, requestId: null }, user, id);
    await bad(basic(user.username, token));
    // Suspended owner.
    const s = await userWithToken();
    await db()
      .updateTable('users')
      .set({ suspended_at: Date.now() })
      .where('id', '=', s.user.id)
      .execute();
    await bad(basic(s.user.username, s.token));
    // Outside the token's address ranges.
    const ranged = await userWithToken({ subnets: ['192.0.2.0/24'] });
    const rq = `hostname=home.${ranged.user.dns_label}.${ROOT}&myip=192.0.2.7`;
    expect((await nic(rq, basic(ranged.user.username, ranged.token), '198.51.100.1')).status).toBe(
      401,
    );
    expect((await nic(rq, basic(ranged.user.username, ranged.token), '192.0.2.50')).body).toBe(
      'good 192.0.2.7\n',
    );
    expect(await records(user.id)).toEqual([]);
  });

  it('dyndns2: nohost, notfqdn, numhost, dnserr; scope by name and type', async () => {
    const { user, token } = await userWithToken({ names: ['laptop'], types: ['A'] });
    const auth = basic(user.username, token);
    const base = `${user.dns_label}.${ROOT}`;
    const other = await insertUser(db());
    const cases: [string, string][] = [
      [`hostname=laptop.${base}&myip=192.0.2.1`, 'good 192.0.2.1'],
      [`hostname=www.${base}&myip=192.0.2.1`, 'nohost'], // outside the token's names
      [`hostname=laptop.${base}&myip=2001:db8::5`, 'nohost'], // AAAA outside the token's types
      [`hostname=laptop.${other.dns_label}.${ROOT}&myip=192.0.2.1`, 'nohost'],
      [`hostname=${base}&myip=192.0.2.1`, 'nohost'], // the apex is not a record name
      [`hostname=a.b.${base}&myip=192.0.2.1`, 'nohost'],
      [`hostname=example.com&myip=192.0.2.1`, 'nohost'],
      [`hostname=laptop&myip=192.0.2.1`, 'notfqdn'],
      [`hostname=la%20ptop.${base}&myip=192.0.2.1`, 'notfqdn'],
      [`myip=192.0.2.1`, 'notfqdn'],
      [
        `hostname=${Array.from({ length: 11 }, (_, i) => `h${i}.${base}`).join(',')}&myip=192.0.2.1`,
        'numhost',
      ],
      [`hostname=laptop.${base}&myip=300.1.1.1`, 'dnserr'],
      [`hostname=laptop.${base}&myip=not-an-ip`, 'dnserr'],
    ];
    for (const [q, word] of cases) {
      const r = await nic(q, auth);
      expect([q, r.status, r.body]).toEqual([q, 200, `${word}\n`]);
    }
    // The record rules: a reserved name is nohost, a CNAME at the name is dnserr.
    const all = await userWithToken();
    const aAuth = basic(all.user.username, all.token);
    const aBase = `${all.user.dns_label}.${ROOT}`;
    expect((await nic(`hostname=_acme-challenge.${aBase}&myip=192.0.2.1`, aAuth)).body).toBe(
      'nohost\n',
    );
    const now = Date.now();
    await db()
      .insertInto('dns_records')
      .values({
        user_id: all.user.id,
        subdomain: 'alias',
        type: 'CNAME',
        value: 'example.com',
        priority: null,
        ports: null,
        course: null,
        description: null,
        expires_at: now + 1e9,
        reminders_sent: '[]',
        status: 'live',
        status_message: null,
        change_id: null,
        status_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
    expect((await nic(`hostname=alias.${aBase}&myip=192.0.2.1`, aAuth)).body).toBe('dnserr\n');
  });

  it('dyndns2 and acme-dns: rate limits answer abuse / 429 with Retry-After', async () => {
    const limited = await createTestApp({
      dialect,
      env: { API_RATE_LIMIT_TOKEN_PER_MINUTE: '3', API_RATE_LIMIT_USER_PER_MINUTE: '100' },
    });
    try {
      const u = await insertUser(limited.container.dbh.db);
      const c = await createToken(
        limited.container.jobDeps,
        { user: u, effectiveUser: u, requestId: null },
        {
          name: 't',
          expiresInDays: 1,
          permissions: ['records:write'],
          names: [],
          types: [],
          subnets: [],
        },
      );
      const q = `/nic/update?hostname=home.${u.dns_label}.${ROOT}&myip=192.0.2.1`;
      const get = () =>
        limited.app.request(q, { headers: { authorization: basic(u.username, c.secret) } });
      const words: string[] = [];
      for (let i = 0; i < 3; i++) words.push((await (await get()).text()).trim());
      expect(words).toEqual(['good 192.0.2.1', 'nochg 192.0.2.1', 'nochg 192.0.2.1']);
      const r = await get();
      expect(r.status).toBe(429);
      expect(await r.text()).toBe('abuse\n');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      const a = await limited.app.request('/acme-dns/update', {
        method: 'POST',
        headers: { 'x-api-user': c.token.public_id, 'x-api-key': c.secret },
        body: JSON.stringify({ subdomain: '@', txt: DIGEST }),
      });
      expect(a.status).toBe(429);
      expect(await a.json()).toEqual({ error: 'too_many_requests' });
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.cleanup();
    }
  });

  it('dyndns2: past the change limit mid-request, hosts already updated keep their answer', async () => {
    const limited = await createTestApp({ dialect, env: { API_RATE_LIMIT_WRITES_PER_HOUR: '1' } });
    try {
      const u = await insertUser(limited.container.dbh.db);
      const c = await createToken(
        limited.container.jobDeps,
        { user: u, effectiveUser: u, requestId: null },
        {
          name: 't',
          expiresInDays: 1,
          permissions: ['records:write'],
          names: [],
          types: [],
          subnets: [],
        },
      );
      const b = `${u.dns_label}.${ROOT}`;
      const r = await limited.app.request(
        `/nic/update?hostname=one.${b},two.${b},three.${b}&myip=192.0.2.1`,
        { headers: { authorization: basic(u.username, c.secret) } },
      );
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('good 192.0.2.1\nabuse\nabuse\n');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      const names = await limited.container.dbh.db
        .selectFrom('dns_records')
        .select('subdomain')
        .where('user_id', '=', u.id)
        .execute();
      expect(names.map((n) => n.subdomain)).toEqual(['one']);
    } finally {
      await limited.cleanup();
    }
  });

  it('acme-dns: writes _acme-challenge TXT, keeps the two latest, answers as acme-dns', async () => {
    const { user, token, publicId } = await userWithToken({
      names: ['_acme-challenge', '_acme-challenge.*'],
      types: ['TXT'],
    });
    const h = { 'x-api-user': publicId, 'x-api-key': token };
    for (const v of [DIGEST, DIGEST2, DIGEST3])
      expect(await acme(h, JSON.stringify({ subdomain: '@', txt: v }))).toMatchObject({
        status: 200,
        json: { txt: v },
      });
    const rows = await db()
      .selectFrom('acme_challenges')
      .select(['name', 'value', 'token_id'])
      .where('user_id', '=', user.id)
      .orderBy('value')
      .execute();
    expect(rows.map((r) => [r.name, r.value])).toEqual(
      [DIGEST2, DIGEST3].sort().map((v) => [`_acme-challenge.${user.dns_label}.${ROOT}`, v]),
    );
    expect((await acme(h, JSON.stringify({ subdomain: 'www', txt: DIGEST }))).status).toBe(200);
    // Refusals, each in acme-dns's words.
    const cases: [Record<string, string>, string, number, string][] = [
      [{}, JSON.stringify({ subdomain: '@', txt: DIGEST }), 401, 'forbidden'],
      [{ ...h, 'x-api-user': 'aaaaaaaaaaaa' }, '{"subdomain":"@","txt":"x"}', 401, 'forbidden'],
      [{ ...h, 'x-api-key': token + 'x' }, '{"subdomain":"@","txt":"x"}', 401, 'forbidden'],
      [h, '{"subdomain":"@",', 400, 'malformed_json_payload'],
      [h, '[1,2]', 400, 'malformed_json_payload'],
      [h, '', 400, 'malformed_json_payload'],
      [h, JSON.stringify({ subdomain: 'a.b.c', txt: DIGEST }), 400, 'bad_subdomain'],
      [h, JSON.stringify({ subdomain: 'Ü', txt: DIGEST }), 400, 'bad_subdomain'],
      [h, JSON.stringify({ txt: DIGEST }), 400, 'bad_subdomain'],
      [h, JSON.stringify({ subdomain: '@', txt: 'short' }), 400, 'bad_txt'],
      [h, JSON.stringify({ subdomain: '@', txt: 42 }), 400, 'bad_txt'],
      [h, JSON.stringify({ subdomain: '@', txt: `${DIGEST.slice(0, 42)}"` }), 400, 'bad_txt'],
    ];
    for (const [headers, body, status, error] of cases)
      expect([body, await acme(headers, body)]).toMatchObject([body, { status, json: { error } }]);
    // A token without the challenge names in its scope, or read-only, is forbidden.
    const narrow = await userWithToken({ names: ['laptop'] }, user);
    expect(
      await acme(
        { 'x-api-user': narrow.publicId, 'x-api-key': narrow.token },
        JSON.stringify({ subdomain: '@', txt: DIGEST }),
      ),
    ).toMatchObject({ status: 401, json: { error: 'forbidden' } });
    const ro = await userWithToken({ permissions: ['records:read'] }, user);
    expect(
      (
        await acme(
          { 'x-api-user': ro.publicId, 'x-api-key': ro.token },
          JSON.stringify({ subdomain: '@', txt: DIGEST }),
        )
      ).status,
    ).toBe(401);
    // Outside the address ranges: forbidden.
    const ranged = await userWithToken({ subnets: ['192.0.2.0/24'] }, user);
    expect(
      (
        await acme(
          { 'x-api-user': ranged.publicId, 'x-api-key': ranged.token },
          JSON.stringify({ subdomain: '@', txt: DIGEST }),
          '198.51.100.1',
        )
      ).status,
    ).toBe(401);
    // The values go away on their own.
    const later = Date.now() + t.config.dns.clientChallengeLifetimeMs + 1000;
    await expireClientChallenges({ ...deps(), clock: { now: () => later } });
    const left = await db()
      .selectFrom('acme_challenges')
      .select('id')
      .where('user_id', '=', user.id)
      .execute();
    expect(left).toEqual([]);
  });

  it('hostile corpus: protocol refusals, never a 500, nothing written, heap measured', async () => {
    const { user, token, publicId } = await userWithToken();
    const auth = basic(user.username, token);
    const base = `${user.dns_label}.${ROOT}`;
    const long = 'a'.repeat(5000);
    const queries = [
      '',
      'hostname=',
      'hostname=,,,,',
      `hostname=${long}.${base}`,
      `hostname=x.${base}&myip=${long}`,
      `hostname=x.${base}&myip=1.2.3.4%00`,
      `hostname=x.${base}&myip=fe80::1%25eth0`,
      `hostname=x.${base}&myip=::ffff:999.1.1.1`,
      `hostname=%ff%fe.${base}`,
      `hostname=x.${base}%0d%0aSet-Cookie:%20a=b`,
      `hostname=*.${base}&myip=192.0.2.1`,
      `hostname=../../etc.${base}&myip=192.0.2.1`,
      `hostname=x.${base}&myip=1.1.1.1,${Array.from({ length: 20 }, (_, i) => `10.0.0.${i}`).join(',')}`,
      `hostname=x.${base}&hostname=y.${base}&myip=192.0.2.1&myip=bad`,
      `hostname=%E2%80%AE.${base}&myip=192.0.2.1`,
      `${'hostname=x&'.repeat(300)}`,
      `hostname=x.${base}&myip=0x7f.1`,
      `hostname=x.${base}&myip=1.2.3`,
    ];
    const authHeaders = [
      auth,
      `Basic ${long}`,
      'Basic Og==',
      `Basic ${Buffer.from(`${user.username}`).toString('base64')}`,
      `Basic ${Buffer.from(`:${token}`).toString('base64')}`,
      `Basic ${Buffer.from(`${user.username}:${token}\u0000`).toString('base64')}`,
      `Digest username="${user.username}"`,
      'Basic',
    ];
    const bodies = [
      '',
      '{}',
      'null',
      '"string"',
      '{"subdomain":null,"txt":null}',
      `{"subdomain":"${long}","txt":"${DIGEST}"}`,
      `{"subdomain":"@","txt":"${long}"}`,
      '{"__proto__":{"admin":true},"subdomain":"@","txt":"x"}',
      '\u0000\u0001',
      '{"subdomain":"@","txt":"' + DIGEST + '"'.repeat(2),
      'x'.repeat(10_000),
    ];
    const before = await snapshot();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let round = 0; round < 5; round++) {
      for (const q of queries)
        for (const a of authHeaders) {
          const r = await nic(q, a);
          expect(r.status, `${q} ${a}`).not.toBe(500);
          expect(r.body).toMatch(
            /^(badauth|notfqdn|nohost|numhost|dnserr|good \S+|nochg \S+)(\n|$)/,
          );
        }
      for (const b of bodies) {
        const r = await acme({ 'x-api-user': publicId, 'x-api-key': token }, b);
        expect(r.status, b).toBeGreaterThanOrEqual(400);
        expect(r.status, b).toBeLessThan(500);
        expect(r.json.error).toMatch(/^(malformed_json_payload|bad_subdomain|bad_txt|forbidden)$/);
      }
    }
    // Oversize bodies: 413 before anything is read.
    const big = await t.app.request('/acme-dns/update', {
      method: 'POST',
      headers: {
        'x-api-user': publicId,
        'x-api-key': token,
        'content-length': String(2 * 1024 * 1024),
      },
      body: 'x'.repeat(16),
    });
    expect(big.status).toBe(413);
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    console.log(`hostile corpus (${dialect}): heap ${(grown / 1048576).toFixed(1)} MB after`);
    expect(grown).toBeLessThan(64 * 1048576);
    // Nothing the corpus sent was a valid update except nothing: no record, no challenge.
    const after = JSON.parse(await snapshot()) as unknown[][];
    const was = JSON.parse(before) as unknown[][];
    expect(after[0]).toEqual(was[0]); // dns_records
    expect(after[3]).toEqual(was[3]); // acme_challenges
  });
});

describe('update protocols: refusals are logged with a reason, never the secret', () => {
  it('dyndns2 and acme-dns log why they refused', async () => {
    const lines: string[] = [];
    const t = await createTestApp({
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    try {
      const u = await insertUser(t.container.dbh.db);
      const c = await createToken(
        t.container.jobDeps,
        { user: u, effectiveUser: u, requestId: null },
        {
          name: 't',
          expiresInDays: 1,
          permissions: ['records:write'],
          names: ['home'],
          types: [],
          subnets: [],
        },
      );
      const auth = `Basic ${Buffer.from(`${u.username}:${c.secret}`).toString('base64')}`;
      const wrong = `Basic ${Buffer.from(`${u.username}:${c.secret.slice(0, -2)}xx`).toString('base64')}`;
      await t.app.request(`/nic/update?hostname=www.${u.dns_label}.${ROOT}&myip=192.0.2.1`, {
        headers: { authorization: auth },
      });
      await t.app.request(`/nic/update?hostname=home.${u.dns_label}.${ROOT}&myip=x`, {
        headers: { authorization: auth },
      });
      await t.app.request(`/nic/update?hostname=home.${u.dns_label}.${ROOT}`, {
        headers: { authorization: wrong },
      });
      await t.app.request('/acme-dns/update', {
        method: 'POST',
        headers: { 'x-api-user': c.token.public_id, 'x-api-key': c.secret },
        body: '{"subdomain":"@","txt":"short"}',
      });
      const refusals = lines
        .map((l) => JSON.parse(l) as { msg: string; reason?: string })
        .filter((l) => / refused$/.test(l.msg));
      expect(refusals.map((r) => [r.msg, r.reason])).toEqual([
        ['dyndns2 update refused', expect.stringMatching(/limited to the names home/)],
        ['dyndns2 update refused', 'bad address'],
        ['dyndns2 update refused', 'token-bad-secret'],
        ['acme-dns update refused', 'bad txt'],
      ]);
      const all = lines.join('\n');
      expect(all).not.toContain(c.secret.slice(16));
      expect(all).not.toContain(c.secret.slice(16, -2));
    } finally {
      await t.cleanup();
    }
  });
});
