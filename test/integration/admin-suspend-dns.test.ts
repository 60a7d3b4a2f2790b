/**
 * Moderation through DNS: suspending a user withdraws their names (records and ACME challenge values)
 * from the provider, unsuspending restores them, deleting removes them for good. Checked with dig
 * against the real embedded DNS server (end to end through the web app) and against the Route53 fake
 * through the real AWS SDK and the reconciler (both dialects).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { User } from '../../src/db/schema.js';
import { markDnsChanged } from '../../src/domain/reconciler/request.js';
import { createSession } from '../../src/domain/sessions/sessions.js';
import { type RunningService, startService } from '../../src/service.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS, silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { insertChallenge, insertRecord, reconciler } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { FakeRoute53 } from '../support/fake-route53.js';
import { dig } from '../support/knot.js';

const ROOT = 'starchart.test';

/** Poll (the server reloads on its own schedule); the bound is generous and never asserted on. */
const until = async (fn: () => Promise<boolean>) => {
  for (let i = 0; i < 250; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
};

describe('suspension through the embedded DNS server (dig)', () => {
  let service: RunningService;
  let dataDir: string;
  let cleanupDb: () => Promise<void>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-admin-dns-'));
    const dbCfg = uniqueDatabaseConfig('sqlite');
    cleanupDb = dbCfg.cleanup;
    service = await startService(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        DATABASE_URL: dbCfg.url,
        ROOT_DOMAIN: ROOT,
        PORT: '0',
        HOST: '127.0.0.1',
        DNS_SERVER_PORT: '0',
        DNS_PROVIDER: 'embedded',
      }),
      silentLogger,
    );
  });
  afterAll(async () => {
    await service?.stop();
    await cleanupDb?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const signIn = async (user: User) => {
    const cfg = service.container.config;
    const s = await createSession(
      service.container.dbh.db,
      {
        secret: cfg.sessionSecret,
        idleTimeoutMs: cfg.session.idleTimeoutMs,
        absoluteTimeoutMs: cfg.session.absoluteTimeoutMs,
      },
      user.id,
      Date.now(),
    );
    return (p: string, form: Record<string, string> = {}) =>
      fetch(`${service.url}${p}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: `__session=${s.cookie}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ ...form, _csrf: s.csrfToken }).toString(),
      });
  };

  test('suspend → names stop resolving; unsuspend → they resolve again; delete → gone', async () => {
    const db = service.container.dbh.db;
    const admin = await insertUser(db, { role: 'admin', username: 'boss', dns_label: 'boss' });
    const victim = await insertUser(db, { username: 'vic', dns_label: 'vic' });
    const bystander = await insertUser(db, { username: 'by', dns_label: 'by' });
    const asVictim = await signIn(victim);
    expect(
      (await asVictim('/dns-records/new', { subdomain: 'www', type: 'A', value: '192.0.2.10' }))
        .status,
    ).toBe(303);
    expect(
      (await asVictim('/dns-records/new', { subdomain: 'txt', type: 'TXT', value: 'hello' }))
        .status,
    ).toBe(303);
    await insertChallenge(db, victim, 'challenge-vic');
    await insertRecord(db, bystander, 'www', 'A', '192.0.2.20');
    await markDnsChanged(db, ['vic', 'by'], Date.now());

    const port = service.dnsPort!;
    const resolves = async (name: string, type: string) =>
      (await dig(port, `${name}.${ROOT}`, type)).answers.length > 0;
    const gone = async (name: string, type: string) => {
      const r = await dig(port, `${name}.${ROOT}`, type);
      return r.answers.length === 0;
    };
    expect(await until(() => resolves('www.vic', 'A'))).toBe(true);
    expect(await until(() => resolves('_acme-challenge.vic', 'TXT'))).toBe(true);
    expect(await until(() => resolves('www.by', 'A'))).toBe(true);

    const asAdmin = await signIn(admin);
    const sus = await asAdmin(`/admin/users/${victim.id}/suspend`, { confirm: 'yes' });
    expect(sus.status).toBe(303);
    expect(await until(() => gone('www.vic', 'A'))).toBe(true);
    expect((await dig(port, `www.vic.${ROOT}`, 'A')).status).toBe('NXDOMAIN');
    expect(await gone('txt.vic', 'TXT')).toBe(true);
    expect(await gone('_acme-challenge.vic', 'TXT')).toBe(true);
    expect(await resolves('www.by', 'A')).toBe(true);
    // The victim's session ended with the suspension: the request is refused, nothing is created.
    const late = await asVictim('/dns-records/new', {
      subdomain: 'again',
      type: 'A',
      value: '192.0.2.1',
    });
    expect([401, 403]).toContain(late.status);
    expect(
      await db.selectFrom('dns_records').select('id').where('subdomain', '=', 'again').execute(),
    ).toEqual([]);

    expect((await asAdmin(`/admin/users/${victim.id}/unsuspend`, { confirm: 'yes' })).status).toBe(
      303,
    );
    expect(await until(() => resolves('www.vic', 'A'))).toBe(true);
    expect((await dig(port, `www.vic.${ROOT}`, 'A')).answers[0]).toMatch(/\sA\s192\.0\.2\.10$/);
    expect(await resolves('txt.vic', 'TXT')).toBe(true);
    expect(await resolves('_acme-challenge.vic', 'TXT')).toBe(true);
    const rows = await db
      .selectFrom('dns_records')
      .selectAll()
      .where('user_id', '=', victim.id)
      .execute();
    expect(rows.map((r) => r.status)).toEqual(['live', 'live']);

    expect(
      (await asAdmin(`/admin/users/${victim.id}/delete`, { confirm: 'yes', username: 'vic' }))
        .status,
    ).toBe(303);
    expect(await until(() => gone('www.vic', 'A'))).toBe(true);
    expect(await gone('_acme-challenge.vic', 'TXT')).toBe(true);
    expect(await resolves('www.by', 'A')).toBe(true);
  });
});

describe.each(DIALECTS)('suspension through Route53 (fake, %s)', (dialect) => {
  let fake: FakeRoute53;
  let t: TestApp;

  beforeEach(async () => {
    fake = new FakeRoute53({ origin: ROOT });
    await fake.start();
    t = await createTestApp({
      dialect,
      env: {
        DNS_PROVIDER: 'route53',
        AWS_ROUTE53_HOSTED_ZONE_ID: fake.zoneId,
        AWS_ROUTE53_ENDPOINT: fake.endpoint,
      },
    });
  });
  afterEach(async () => {
    await t?.cleanup();
    await fake?.stop();
  });

  test('suspend withdraws the names at the provider, unsuspend restores them, delete removes them', async () => {
    const db = t.container.dbh.db;
    const run = (mode: 'changes' | 'full') => reconciler(db, t.container.dns, ROOT)(mode);
    const admin = await insertUser(db, { role: 'admin' });
    const victim = await insertUser(db, { username: `v${dialect}`, dns_label: `v${dialect}` });
    const other = await insertUser(db, { username: `o${dialect}`, dns_label: `o${dialect}` });
    await insertRecord(db, victim, 'www', 'A', '192.0.2.10');
    await insertRecord(db, victim, 'mail', 'MX', 'mx.example.com', 10);
    await insertChallenge(db, victim, 'tok-1');
    await insertRecord(db, other, 'www', 'A', '192.0.2.20');
    await markDnsChanged(db, [victim.dns_label, other.dns_label], Date.now());
    await run('changes');
    const www = `www.${victim.dns_label}.${ROOT}`;
    const acme = `_acme-challenge.${victim.dns_label}.${ROOT}`;
    const otherWww = `www.${other.dns_label}.${ROOT}`;
    expect(fake.get(www, 'A')?.values).toEqual(['192.0.2.10']);
    expect(fake.get(acme, 'TXT')).toBeDefined();
    expect((await dig(fake.dnsPort, www, 'A')).answers).toHaveLength(1);

    const a = await t.agent(admin);
    expect((await a.post(`/admin/users/${victim.id}/suspend`, { confirm: 'yes' })).status).toBe(
      303,
    );
    await run('changes');
    expect(fake.get(www, 'A')).toBeUndefined();
    expect(fake.get(`mail.${victim.dns_label}.${ROOT}`, 'MX')).toBeUndefined();
    expect(fake.get(acme, 'TXT')).toBeUndefined();
    expect((await dig(fake.dnsPort, www, 'A')).status).toBe('NXDOMAIN');
    expect(fake.get(otherWww, 'A')?.values).toEqual(['192.0.2.20']);
    // A full pass does not bring them back while suspended.
    await run('full');
    expect(fake.get(www, 'A')).toBeUndefined();
    const withdrawn = await db
      .selectFrom('dns_records')
      .selectAll()
      .where('user_id', '=', victim.id)
      .execute();
    expect(withdrawn.every((r) => r.status === 'pending')).toBe(true);

    expect((await a.post(`/admin/users/${victim.id}/unsuspend`, { confirm: 'yes' })).status).toBe(
      303,
    );
    await run('changes');
    expect(fake.get(www, 'A')?.values).toEqual(['192.0.2.10']);
    expect(fake.get(acme, 'TXT')).toBeDefined();
    expect((await dig(fake.dnsPort, www, 'A')).answers[0]).toMatch(/192\.0\.2\.10$/);
    const restored = await db
      .selectFrom('dns_records')
      .selectAll()
      .where('user_id', '=', victim.id)
      .execute();
    expect(restored.map((r) => r.status)).toEqual(['live', 'live']);

    expect(
      (
        await a.post(`/admin/users/${victim.id}/delete`, {
          confirm: 'yes',
          username: victim.username,
        })
      ).status,
    ).toBe(303);
    await run('changes');
    expect(fake.get(www, 'A')).toBeUndefined();
    expect(fake.get(acme, 'TXT')).toBeUndefined();
    await run('full');
    expect(fake.get(www, 'A')).toBeUndefined();
    expect(fake.get(otherWww, 'A')?.values).toEqual(['192.0.2.20']);
  });
});
