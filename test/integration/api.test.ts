/**
 * REST API v1 on both dialects: every endpoint through the same domain calls as the pages (audit rows
 * carry the token), the token's scope (names, types, permissions) → 403, expired/revoked/suspended →
 * 401 with a Bearer challenge, address ranges → 403, certificate parts with ETag/If-None-Match → 304
 * until the certificate changes, the OpenAPI document validates and lists exactly the routes served,
 * a corpus of hostile requests → 4xx problem+json with nothing written, and the rate limits (429 +
 * Retry-After) shared by two replicas through Redis.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCertificate, updateCertificate } from '../../src/db/repos/certificates.js';
import type { User } from '../../src/db/schema.js';
import {
  generatePrivateKey,
  keyRingOf,
  sealPrivateKey,
} from '../../src/domain/certificates/key-box.js';
import { createToken, revokeToken } from '../../src/domain/tokens/tokens.js';
import { OPERATION_LIST } from '../../src/web/api/operations.js';
import { RecordListSchema, RecordSchema } from '../../src/web/api/schemas.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A self-signed certificate (and its key) as the CA would store one, made with openssl. */
function makeCertificate(cn: string): { key: string; cert: string; chain: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-api-cert-'));
  try {
    const key = generatePrivateKey('ecdsa-p256');
    writeFileSync(path.join(dir, 'key.pem'), key);
    const cert = execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-key',
        path.join(dir, 'key.pem'),
        '-subj',
        `/CN=${cn}`,
        '-days',
        '30',
      ],
      { encoding: 'utf8' },
    );
    const caKey = generatePrivateKey('ecdsa-p256');
    writeFileSync(path.join(dir, 'ca.pem'), caKey);
    const chain = execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-key',
        path.join(dir, 'ca.pem'),
        '-subj',
        '/CN=Test CA',
        '-days',
        '30',
      ],
      { encoding: 'utf8' },
    );
    return { key, cert, chain };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(DIALECTS)('REST API v1 on %s', (dialect) => {
  let t: TestApp;
  const tokenDeps = () => ({ db: t.container.dbh.db, clock: t.container.clock, config: t.config });
  const db = () => t.container.dbh.db;

  async function tokenFor(
    user: User,
    over: Partial<{
      permissions: string[];
      names: string[];
      types: string[];
      subnets: string[];
      expiresInDays: number;
    }> = {},
  ) {
    const created = await createToken(
      tokenDeps(),
      { user, effectiveUser: user, requestId: 'test' },
      {
        name: 'test token',
        expiresInDays: over.expiresInDays ?? 30,
        permissions: over.permissions ?? ['records:write', 'certificate:read'],
        names: over.names ?? [],
        types: over.types ?? [],
        subnets: over.subnets ?? [],
      },
    );
    return { secret: created.secret, id: created.token.id };
  }

  const call = (
    secret: string | null,
    p: string,
    init: RequestInit & { json?: unknown } = {},
    env?: Record<string, unknown>,
  ) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (secret) headers.authorization = `Bearer ${secret}`;
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] ??= 'application/json';
    }
    return t.app.request(`/api/v1${p}`, { ...init, headers, body }, env);
  };

  const expectProblem = async (res: Response, status: number, detail?: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const p = (await res.json()) as {
      type: string;
      title: string;
      status: number;
      detail: string;
      errors?: Record<string, string>;
    };
    expect(p.status).toBe(status);
    expect(p.type).toMatch(/\/docs\/api#problem-[a-z-]+$/);
    expect(typeof p.title).toBe('string');
    if (detail) expect(p.detail).toMatch(detail);
    res.headers.forEach((_v, h) => expect(h).not.toMatch(/^access-control-/));
    return p;
  };

  const countWrites = async (userId: number) => {
    const records = await db()
      .selectFrom('dns_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    const audit = await db()
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('effective_user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return { records: Number(records.n), audit: Number(audit.n) };
  };

  beforeAll(async () => {
    t = await createTestApp({ dialect, env: { USER_DNS_RECORD_LIMIT: '50' } });
  });
  afterAll(async () => t.cleanup());

  it('serves an OpenAPI 3.1 document that validates and lists exactly the routes the API serves', async () => {
    const res = await call(null, '/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);

    const documented = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths))
      for (const method of Object.keys(item))
        documented.add(`${method.toUpperCase()} /api/v1${p.replace(/\{(\w+)\}/g, ':$1')}`);
    const served = new Set(
      t.app.routes
        .filter((r) => r.path.startsWith('/api/v1') && r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path}`),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.size).toBe(OPERATION_LIST.length + 1);
  });

  it('needs a bearer token: none, a malformed one, or a session cookie → 401 with a challenge', async () => {
    const user = await insertUser(db());
    let res = await call(null, '/records');
    await expectProblem(res, 401, /Authorization: Bearer/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    res = await call(null, '/records', { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    await expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_request');
    res = await call('stc_nonsense', '/records');
    await expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    // A signed-in browser's cookie is not a credential here (so CSRF does not apply).
    const agent = await t.agent(user);
    const viaCookie = await agent.get('/api/v1/records');
    expect(viaCookie.status).toBe(401);
    // No CORS: a preflight is refused without Access-Control-* headers.
    const pre = await call(null, '/records', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    await expectProblem(pre, 403, /Cross-origin/);
    // Unknown endpoint and wrong method.
    await expectProblem(await call(null, '/nowhere'), 404);
    const wrong = await call(null, '/zone', { method: 'PUT' });
    await expectProblem(wrong, 405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('creates, reads, lists, changes, renews and deletes records; the zone fragment; audit rows carry the token', async () => {
    const user = await insertUser(db());
    const { secret, id: tokenId } = await tokenFor(user);
    const created = await call(secret, '/records', {
      method: 'POST',
      json: { name: 'www', type: 'A', value: '192.0.2.1', description: 'web' },
    });
    expect(created.status).toBe(201);
    const rec = RecordSchema.parse(await created.json());
    expect(rec).toMatchObject({ name: 'www', type: 'A', value: '192.0.2.1', description: 'web' });
    expect(rec.fqdn).toBe(`www.${user.dns_label}.starchart.test`);
    expect(created.headers.get('location')).toMatch(new RegExp(`/api/v1/records/${rec.id}$`));

    const mx = RecordSchema.parse(
      await (
        await call(secret, '/records', {
          method: 'POST',
          json: { name: 'mail', type: 'MX', value: 'mx.example.org', priority: 5 },
        })
      ).json(),
    );
    const txt = await call(secret, '/records', {
      method: 'POST',
      json: { name: 'note', type: 'TXT', value: 'hello "world"' },
    });
    expect(txt.status).toBe(201);

    // The form's rules apply: a CNAME beside the A record at www is refused with a field error.
    const clash = await call(secret, '/records', {
      method: 'POST',
      json: { name: 'www', type: 'CNAME', value: 'example.org' },
    });
    const p = await expectProblem(clash, 400);
    expect(Object.keys(p.errors ?? {}).length).toBeGreaterThan(0);
    const badName = await expectProblem(
      await call(secret, '/records', {
        method: 'POST',
        json: { name: 'Bad.Name', type: 'A', value: '192.0.2.1' },
      }),
      400,
    );
    expect(badName.errors?.name).toBeTruthy();

    const got = await call(secret, `/records/${rec.id}`);
    expect(RecordSchema.parse(await got.json()).id).toBe(rec.id);
    await expectProblem(await call(secret, '/records/999999999'), 404);
    const badId = await expectProblem(await call(secret, '/records/abc'), 400);
    expect(badId.errors?.id).toBeTruthy();

    // Listing: filters, page/limit and cursor.
    let list = RecordListSchema.parse(await (await call(secret, '/records')).json());
    expect(list.total).toBe(3);
    list = RecordListSchema.parse(await (await call(secret, '/records?type=MX')).json());
    expect(list.records.map((r) => r.id)).toEqual([mx.id]);
    list = RecordListSchema.parse(await (await call(secret, '/records?name=www')).json());
    expect(list.records.map((r) => r.id)).toEqual([rec.id]);
    const first = RecordListSchema.parse(await (await call(secret, '/records?limit=2')).json());
    expect(first.records).toHaveLength(2);
    expect(first.pages).toBe(2);
    expect(first.nextCursor).not.toBeNull();
    const next = RecordListSchema.parse(
      await (await call(secret, `/records?limit=2&cursor=${first.nextCursor}`)).json(),
    );
    expect(next.records).toHaveLength(1);
    expect(next.nextCursor).toBeNull();
    const page2 = RecordListSchema.parse(
      await (await call(secret, '/records?limit=2&page=2')).json(),
    );
    expect(page2.records.map((r) => r.id)).toEqual(next.records.map((r) => r.id));
    await expectProblem(await call(secret, '/records?page=1&cursor=3'), 400);
    await expectProblem(await call(secret, '/records?colour=red'), 400);
    await expectProblem(await call(secret, '/records?type=SRV'), 400);

    // PATCH changes only the given fields.
    const patched = await call(secret, `/records/${rec.id}`, {
      method: 'PATCH',
      json: { value: '192.0.2.2' },
    });
    expect(patched.status).toBe(200);
    expect(RecordSchema.parse(await patched.json())).toMatchObject({
      value: '192.0.2.2',
      description: 'web',
    });
    await expectProblem(
      await call(secret, `/records/${rec.id}`, { method: 'PATCH', json: {} }),
      400,
    );

    const renewed = await call(secret, `/records/${rec.id}/renew`, { method: 'POST' });
    expect(renewed.status).toBe(200);

    const zone = await call(secret, '/zone');
    expect(zone.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await zone.text();
    expect(text).toContain(`$ORIGIN ${user.dns_label}.starchart.test.`);
    expect(text).toMatch(/^www\t300\tIN\tA\t192\.0\.2\.2$/m);
    expect(text).toMatch(/^mail\t300\tIN\tMX\t5 mx\.example\.org\.$/m);
    expect(text).toMatch(
      /^note\t300\tIN\tTXT\t"hello\\"world\\""$|^note\t300\tIN\tTXT\t"hello\\040\\"world\\""$/m,
    );

    const deleted = await call(secret, `/records/${rec.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    await expectProblem(await call(secret, `/records/${rec.id}`), 404);

    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'token_id'])
      .where('effective_user_id', '=', user.id)
      .where('target_type', '=', 'dns_record')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'dns-record.create',
      'dns-record.create',
      'dns-record.create',
      'dns-record.update',
      'dns-record.renew',
      'dns-record.delete',
    ]);
    expect(audit.every((a) => a.token_id === tokenId)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(16));
  });

  it('keeps a token to its scope: `laptop` cannot touch `www`, types and permissions are enforced (403 naming what is missing)', async () => {
    const user = await insertUser(db());
    const full = await tokenFor(user);
    const www = RecordSchema.parse(
      await (
        await call(full.secret, '/records', {
          method: 'POST',
          json: { name: 'www', type: 'A', value: '192.0.2.1' },
        })
      ).json(),
    );
    const laptop = await tokenFor(user, { names: ['laptop'], permissions: ['records:write'] });
    const mine = await call(laptop.secret, '/records', {
      method: 'POST',
      json: { name: 'laptop', type: 'A', value: '192.0.2.9' },
    });
    expect(mine.status).toBe(201);
    const laptopRecord = RecordSchema.parse(await mine.json());
    const before = await countWrites(user.id);
    await expectProblem(
      await call(laptop.secret, '/records', {
        method: 'POST',
        json: { name: 'www', type: 'AAAA', value: '2001:db8::1' },
      }),
      403,
      /limited to the names laptop; it may not use www/,
    );
    await expectProblem(await call(laptop.secret, `/records/${www.id}`), 403, /www/);
    await expectProblem(
      await call(laptop.secret, `/records/${www.id}`, {
        method: 'PATCH',
        json: { value: '192.0.2.5' },
      }),
      403,
    );
    await expectProblem(await call(laptop.secret, `/records/${www.id}`, { method: 'DELETE' }), 403);
    await expectProblem(
      await call(laptop.secret, `/records/${www.id}/renew`, { method: 'POST' }),
      403,
    );
    // Renaming its own record to a name outside the scope is refused too.
    await expectProblem(
      await call(laptop.secret, `/records/${laptopRecord.id}`, {
        method: 'PATCH',
        json: { name: 'www2' },
      }),
      403,
    );
    expect(await countWrites(user.id)).toEqual(before);
    // The listing and the zone show only what the token may read.
    const list = RecordListSchema.parse(await (await call(laptop.secret, '/records')).json());
    expect(list.records.map((r) => r.name)).toEqual(['laptop']);
    const zone = await (await call(laptop.secret, '/zone')).text();
    expect(zone).toContain('laptop\t');
    expect(zone).not.toContain('www\t');
    // Without certificate:read, no certificate.
    await expectProblem(await call(laptop.secret, '/certificate'), 403, /certificate:read/);
    await expectProblem(
      await call(laptop.secret, '/certificate/privateKey'),
      403,
      /certificate:read/,
    );
    // A read-only token may not write; a type-narrowed one only its types.
    const reader = await tokenFor(user, { permissions: ['records:read'] });
    await expectProblem(
      await call(reader.secret, '/records', {
        method: 'POST',
        json: { name: 'x1', type: 'A', value: '192.0.2.1' },
      }),
      403,
      /records:write/,
    );
    const txtOnly = await tokenFor(user, { types: ['TXT'] });
    await expectProblem(
      await call(txtOnly.secret, '/records', {
        method: 'POST',
        json: { name: 'x1', type: 'A', value: '192.0.2.1' },
      }),
      403,
      /TXT/,
    );
    const certOnly = await tokenFor(user, { permissions: ['certificate:read'] });
    await expectProblem(await call(certOnly.secret, '/records'), 403, /records:read/);
  });

  it('refuses expired, revoked and suspended users’ tokens (401 + challenge) and addresses outside the ranges (403)', async () => {
    const user = await insertUser(db());
    const expired = await tokenFor(user);
    await db()
      .updateTable('api_tokens')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', expired.id)
      .execute();
    let res = await call(expired.secret, '/records');
    await expectProblem(res, 401, /expired/);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');

    const revoked = await tokenFor(user);
    await revokeToken(
      tokenDeps(),
      { user, effectiveUser: user, requestId: null },
      user,
      revoked.id,
    );
    res = await call(revoked.secret, '/records');
    await expectProblem(res, 401, /revoked/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const ranged = await tokenFor(user, { subnets: ['192.0.2.0/24'] });
    await expectProblem(
      await call(ranged.secret, '/records'),
      403,
      /may not be used from 127\.0\.0\.1/,
    );
    expect(
      (await call(ranged.secret, '/records', {}, { remoteAddress: '192.0.2.77' })).status,
    ).toBe(200);

    const other = await insertUser(db());
    const suspended = await tokenFor(other);
    expect((await call(suspended.secret, '/records')).status).toBe(200);
    await db()
      .updateTable('users')
      .set({ suspended_at: Date.now() })
      .where('id', '=', other.id)
      .execute();
    res = await call(suspended.secret, '/records');
    await expectProblem(res, 401, /suspended/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('serves the certificate status and parts with a strong ETag; If-None-Match → 304 until a renewal changes it', async () => {
    const user = await insertUser(db());
    const { secret } = await tokenFor(user);
    let status = (await (await call(secret, '/certificate')).json()) as { status: string };
    expect(status.status).toBe('none');
    await expectProblem(await call(secret, '/certificate/fullChain'), 404);
    await expectProblem(await call(secret, '/certificate/nope'), 400);

    const domain = `${user.dns_label}.starchart.test`;
    const ring = keyRingOf(t.config);
    const issue = async () => {
      const parts = makeCertificate(domain);
      const now = Date.now();
      const id = await insertCertificate(db(), {
        user_id: user.id,
        domain,
        status: 'issued',
        step: 'done',
        inflight_user_id: null,
        renewal_of: null,
        certificate: parts.cert,
        chain: parts.chain,
        valid_from: now - 1000,
        valid_to: now + 30 * 86_400_000,
        step_started_at: now,
        created_at: now,
        updated_at: now,
      });
      await updateCertificate(db(), id, { private_key_enc: sealPrivateKey(ring, id, parts.key) });
      return { id, ...parts };
    };
    const one = await issue();
    status = (await (await call(secret, '/certificate')).json()) as { status: string };
    expect(status).toMatchObject({ status: 'issued', domain, keyAvailable: true });

    const full = await call(secret, '/certificate/fullChain');
    expect(full.status).toBe(200);
    expect(await full.text()).toBe(one.cert + one.chain);
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const key = await call(secret, '/certificate/privateKey');
    expect(await key.text()).toBe(one.key);
    expect(key.headers.get('cache-control')).toBe('no-store');
    for (const part of ['certificate', 'chain']) {
      const r = await call(secret, `/certificate/${part}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).not.toBe(etag);
    }
    const pfx = await call(secret, '/certificate/pfx');
    expect(pfx.status).toBe(200);
    expect(pfx.headers.get('content-type')).toBe('application/x-pkcs12');
    expect((await pfx.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const pfxTag = pfx.headers.get('etag')!;
    expect(
      (await call(secret, '/certificate/pfx', { headers: { 'if-none-match': pfxTag } })).status,
    ).toBe(304);

    const again = await call(secret, '/certificate/fullChain', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const listed = await call(secret, '/certificate/fullChain', {
      headers: { 'if-none-match': `"other", W/${etag}` },
    });
    expect(listed.status).toBe(304);

    // A renewal: the old row superseded, a new one issued → a full answer with a new ETag.
    await updateCertificate(db(), one.id, { status: 'superseded' });
    const two = await issue();
    const renewed = await call(secret, '/certificate/fullChain', {
      headers: { 'if-none-match': etag },
    });
    expect(renewed.status).toBe(200);
    expect(await renewed.text()).toBe(two.cert + two.chain);
    expect(renewed.headers.get('etag')).not.toBe(etag);
    expect(
      (
        await call(secret, '/certificate/fullChain', {
          headers: { 'if-none-match': renewed.headers.get('etag')! },
        })
      ).status,
    ).toBe(304);
  });

  it('answers a corpus of hostile requests with 4xx problem+json and writes nothing', async () => {
    const user = await insertUser(db());
    const { secret } = await tokenFor(user);
    const existing = RecordSchema.parse(
      await (
        await call(secret, '/records', {
          method: 'POST',
          json: { name: 'keep', type: 'A', value: '192.0.2.1' },
        })
      ).json(),
    );
    const good = { name: 'host', type: 'A', value: '192.0.2.1' };
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    // [label, body, headers, POST only (a valid PATCH: a partial record)]
    const bodies: [string, string | Uint8Array, Record<string, string>?, boolean?][] = [
      ['empty', ''],
      ['not json', 'name=host&type=A'],
      ['truncated', '{"name": "host", "type": "A"'],
      ['trailing garbage', '{"name":"host","type":"A","value":"192.0.2.1"} x'],
      ['array', JSON.stringify([good])],
      ['null', 'null'],
      ['number', '42'],
      ['string', '"host"'],
      ['deep arrays', deep(50_000)],
      ['deep object', deepObject(20_000)],
      ['deep in a field', `{"name":${deep(10_000)},"type":"A","value":"192.0.2.1"}`],
      ['huge string', JSON.stringify({ ...good, value: 'x'.repeat(900_000) })],
      ['huge name', JSON.stringify({ ...good, name: 'a'.repeat(100_000) })],
      [
        'many keys',
        JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))),
      ],
      ['unknown field', JSON.stringify({ ...good, admin: true })],
      ['proto key', '{"name":"host","type":"A","value":"192.0.2.1","__proto__":{"admin":true}}'],
      ['constructor key', JSON.stringify({ ...good, constructor: { prototype: {} } })],
      ['wrong types', JSON.stringify({ name: 5, type: ['A'], value: { v: 1 } })],
      [
        'priority string',
        JSON.stringify({ name: 'm', type: 'MX', value: 'mx.example.org', priority: '5' }),
      ],
      [
        'priority float',
        JSON.stringify({ name: 'm', type: 'MX', value: 'mx.example.org', priority: 1.5 }),
      ],
      ['priority huge', '{"name":"m","type":"MX","value":"mx.example.org","priority":1e309}'],
      ['bad type', JSON.stringify({ ...good, type: 'SRV' })],
      ['lowercase type', JSON.stringify({ ...good, type: 'a' })],
      ['missing value', JSON.stringify({ name: 'host', type: 'A' }), {}, true],
      ['name with dot', JSON.stringify({ ...good, name: 'a.b' })],
      ['name apex', JSON.stringify({ ...good, name: '@' })],
      ['name challenge', JSON.stringify({ ...good, name: '_acme-challenge', type: 'TXT' })],
      ['bad ip', JSON.stringify({ ...good, value: '999.1.1.1' })],
      ['invalid utf-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
      ['lone surrogate', '{"name":"\\ud800","type":"A","value":"192.0.2.1"}'],
      ['oversize', JSON.stringify({ ...good, description: 'x'.repeat(1_100_000) })],
      [
        'form type',
        new URLSearchParams(good).toString(),
        { 'content-type': 'application/x-www-form-urlencoded' },
      ],
      ['text type', JSON.stringify(good), { 'content-type': 'text/plain' }],
      ['no type', JSON.stringify(good), { 'content-type': '' }],
      ['multipart', '--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }],
      ['json-ish type', JSON.stringify(good), { 'content-type': 'application/jsonp' }],
      ['huge type', JSON.stringify(good), { 'content-type': `application/${'x'.repeat(5000)}` }],
    ];
    const requests: { label: string; path: string; init: RequestInit }[] = [];
    for (const [label, body, headers, postOnly] of bodies) {
      for (const [method, p] of [
        ['POST', '/records'],
        ...(postOnly ? [] : ([['PATCH', `/records/${existing.id}`]] as const)),
      ] as const)
        requests.push({
          label: `${method} ${label}`,
          path: p,
          init: { method, body: body as BodyInit, headers: { ...JSON_HEADERS, ...headers } },
        });
    }
    // Bodies where none is taken; bad ids; hostile query strings and headers.
    requests.push(
      {
        label: 'renew with body',
        path: `/records/${existing.id}/renew`,
        init: { method: 'POST', body: '{}', headers: JSON_HEADERS },
      },
      {
        label: 'delete with body',
        path: `/records/${existing.id}`,
        init: { method: 'DELETE', body: '{"x":1}', headers: JSON_HEADERS },
      },
      ...['0', '-1', '1.5', '1e3', '99999999999', '%00', 'abc', '١'].map((id) => ({
        label: `bad id ${id}`,
        path: `/records/${id}`,
        init: { method: 'DELETE' },
      })),
      { label: 'huge page', path: '/records?page=99999999999999999999', init: {} },
      { label: 'limit 0', path: '/records?limit=0x10', init: {} },
      { label: 'repeated', path: '/records?type=A&type=MX', init: {} },
      { label: 'huge query', path: `/records?name=${'a'.repeat(10_000)}`, init: {} },
      { label: 'cursor junk', path: '/records?cursor=abc', init: {} },
      { label: 'query on get', path: `/records/${existing.id}?x=1`, init: {} },
    );
    const before = await countWrites(user.id);
    const heapBefore = process.memoryUsage();
    const seen: string[] = [];
    for (const r of requests) {
      const res = await call(secret, r.path, r.init);
      seen.push(`${r.label}: ${res.status}`);
      expect(res.status, r.label).toBeGreaterThanOrEqual(400);
      expect(res.status, r.label).toBeLessThan(500);
      expect(res.headers.get('content-type'), r.label).toBe('application/problem+json');
      const p = (await res.json()) as { status: number; detail: string };
      expect(p.status, r.label).toBe(res.status);
      expect(p.detail, r.label).not.toContain(secret);
    }
    // Hostile headers.
    for (const [label, authorization] of [
      ['empty bearer', 'Bearer '],
      ['two tokens', `Bearer ${secret} ${secret}`],
      ['huge token', `Bearer stc_${'a'.repeat(20_000)}`],
      ['lowercase scheme + junk', 'bearer \u00ff'],
      ['truncated', `Bearer ${secret.slice(0, -1)}`],
    ]) {
      const res = await t.app.request('/api/v1/records', {
        method: 'POST',
        headers: { authorization: authorization!, ...JSON_HEADERS },
        body: JSON.stringify({ name: 'hdr', type: 'A', value: '192.0.2.1' }),
      });
      seen.push(`${label}: ${res.status}`);
      await expectProblem(res, 401);
    }
    global.gc?.();
    const heapAfter = process.memoryUsage();
    expect(await countWrites(user.id)).toEqual(before);
    const statuses = new Set(seen.map((s) => s.split(': ')[1]));
    for (const s of ['400', '401', '413', '415']) expect(statuses).toContain(s);
    console.log(
      `[api corpus ${dialect}] ${seen.length} hostile requests, statuses ${[...statuses].sort().join(', ')}; heap used ${(heapBefore.heapUsed / 1048576).toFixed(1)} → ${(heapAfter.heapUsed / 1048576).toFixed(1)} MB, rss ${(heapBefore.rss / 1048576).toFixed(0)} → ${(heapAfter.rss / 1048576).toFixed(0)} MB`,
    );
  });
});

describe.each(DIALECTS)('API rate limits across two replicas sharing Redis on %s', (dialect) => {
  let a: TestApp;
  let b: TestApp;
  const prefix = `starchart-test-api-${process.pid}-${Date.now()}-${dialect}`;
  const env = {
    API_RATE_LIMIT_TOKEN_PER_MINUTE: '4',
    API_RATE_LIMIT_USER_PER_MINUTE: '100',
    API_RATE_LIMIT_WRITES_PER_HOUR: '2',
  };
  beforeAll(async () => {
    a = await createTestApp({ dialect, redis: true, redisPrefix: prefix, env });
    const url = a.config.database.url;
    b = await createTestApp({
      dialect,
      redis: true,
      redisPrefix: prefix,
      env: { ...env, DATABASE_URL: url },
    });
  });
  afterAll(async () => {
    await b?.cleanup();
    await a?.cleanup();
  });

  it('the N+1st request in the minute gets 429 with Retry-After, whichever replica answers', async () => {
    const user = await insertUser(a.container.dbh.db);
    const created = await createToken(
      { db: a.container.dbh.db, clock: a.container.clock, config: a.config },
      { user, effectiveUser: user, requestId: null },
      {
        name: 'limits',
        expiresInDays: 1,
        permissions: ['records:write'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    const auth = { authorization: `Bearer ${created.secret}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await (i % 2 ? b : a).app.request('/api/v1/records', { headers: auth })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 200]);
    const over = await b.app.request('/api/v1/records', { headers: auth });
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await over.json()) as { detail: string }).detail).toMatch(/more than 4 requests/);
  });

  it('the hourly change limit: the third write gets 429 and is not made', async () => {
    const user = await insertUser(a.container.dbh.db);
    const created = await createToken(
      { db: a.container.dbh.db, clock: a.container.clock, config: a.config },
      { user, effectiveUser: user, requestId: null },
      {
        name: 'writes',
        expiresInDays: 1,
        permissions: ['records:write'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    const post = (app: TestApp, name: string) =>
      app.app.request('/api/v1/records', {
        method: 'POST',
        headers: { authorization: `Bearer ${created.secret}`, ...JSON_HEADERS },
        body: JSON.stringify({ name, type: 'A', value: '192.0.2.1' }),
      });
    expect((await post(a, 'one')).status).toBe(201);
    expect((await post(b, 'two')).status).toBe(201);
    const third = await post(a, 'three');
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    const rows = await a.container.dbh.db
      .selectFrom('dns_records')
      .select('subdomain')
      .where('user_id', '=', user.id)
      .execute();
    expect(rows.map((r) => r.subdomain).sort()).toEqual(['one', 'two']);
  });
});

describe('API page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  it('/docs/api is a server-rendered page generated from the same operations, without a sign-in', async () => {
    const res = await t.request('/docs/api');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const op of OPERATION_LIST) {
      expect(html).toContain(`id="${op.id}"`);
      expect(html).toContain(`${op.method.toUpperCase()} /api/v1${op.path}`);
    }
    expect(html).toContain('id="problem-rate-limited"');
    expect(html).toContain('href="/api/v1/openapi.json"');
    expect(html).not.toMatch(/<script(?![^>]*nonce)/);
  });
});
