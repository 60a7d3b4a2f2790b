/**
 * DNS UPDATE (RFC 2136) with TSIG against the built-in server, driven by the real nsupdate (BIND 9):
 * adds and deletes in the user's names (checked with dig and in the database), prerequisites, refusals
 * outside the user's names, a wrong key (BADKEY), a wrong secret (BADSIG), a clock off by more than
 * over UDP and TCP. (BADTIME, replays and malformed messages: dns-update-wire.test.ts; libfaketime
 * cannot run BIND 9.18's nsupdate, it hangs in clock_gettime.)
 * nsupdate verifies the TSIG of every reply it gets, so each success also checks our signatures.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import { loadConfig } from '../../src/config.js';
import type { User } from '../../src/db/schema.js';
import { type ChallengeWriter, applyDnsUpdate } from '../../src/domain/dns-records/dns-update.js';
import { databaseZoneSource } from '../../src/domain/reconciler/desired-state.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import type { DnsUpdateHandler, TsigKey } from '../../src/ports/dns-update.js';
import { DIALECTS, type TestDb, createTestDb, silentLogger } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { dig } from '../support/knot.js';

const ROOT = 'starchart.test';
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');

export interface NsupdateResult {
  code: number;
  out: string;
}

/** Run nsupdate with `script` (server, zone and send are added); `prefix` runs it under e.g. faketime. */
export function nsupdate(
  port: number,
  lines: string[],
  opts: { key?: string; secret?: string; tcp?: boolean; prefix?: string[] } = {},
): Promise<NsupdateResult> {
  const script = [`server 127.0.0.1 ${port}`, `zone ${ROOT}`, ...lines, 'send', ''].join('\n');
  const args = [
    ...(opts.tcp ? ['-v'] : []),
    '-t',
    '3',
    '-y',
    `hmac-sha256:${opts.key ?? 'alice-key'}:${opts.secret ?? SECRET}`,
  ];
  const [cmd, ...rest] = [...(opts.prefix ?? []), 'nsupdate', ...args];
  return new Promise((resolve) => {
    const child = execFile(cmd!, rest, { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({
        code: err ? Number((err as { code?: number }).code ?? 1) : 0,
        out: `${stdout}${stderr}`,
      });
    });
    child.stdin!.end(script);
  });
}

describe.each(DIALECTS)('DNS UPDATE with nsupdate (%s)', (dialect) => {
  let tdb: TestDb;
  let server: EmbeddedDnsServer;
  let alice: User;
  let bob: User;
  let dataDir: string;
  const challenges: { op: string; name: string; value: string | null }[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-update-'));
    tdb = await createTestDb(dialect);
    const db = tdb.db;
    alice = await insertUser(db, { username: `alice${dialect}`, dns_label: 'alice' });
    bob = await insertUser(db, { username: `bob${dialect}`, dns_label: 'bob' });
    await insertRecord(db, bob, 'www', 'A', '192.0.2.99');
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      ROOT_DOMAIN: ROOT,
      DNS_PROVIDER: 'embedded',
      USER_DNS_RECORD_LIMIT: '10',
    });
    const queue = { enqueue: async () => undefined } as unknown as JobQueue;
    const deps = { db, config, clock: { now: () => Date.now() }, queue, logger: silentLogger };
    const keys = new Map<string, TsigKey>([
      [
        'alice-key',
        { name: 'alice-key', secret: Buffer.from(SECRET, 'base64'), tokenId: 1, userId: alice.id },
      ],
    ]);
    const writer: ChallengeWriter = {
      add: async (_trx, name, value) => void challenges.push({ op: 'add', name, value }),
      remove: async (_trx, name, value) => void challenges.push({ op: 'remove', name, value }),
    };
    const handler: DnsUpdateHandler = {
      findKey: async (name) => keys.get(name) ?? null,
      apply: (update, key) =>
        applyDnsUpdate(
          deps,
          { user: alice, effectiveUser: alice, requestId: `tsig:${key.name}` },
          update,
          (rel, type) => (rel === 'secret' ? `not allowed: ${rel} ${type}` : null),
          writer,
        ),
    };
    server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: [`ns1.${ROOT}`],
      host: '127.0.0.1',
      port: 0,
      source: databaseZoneSource(db, ROOT),
      logger: silentLogger,
      pollMs: 50,
      minReloadMs: 10,
      updates: handler,
    });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    await tdb?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const rows = (subdomain: string) =>
    tdb.db
      .selectFrom('dns_records')
      .select(['type', 'value', 'priority'])
      .where('user_id', '=', alice.id)
      .where('subdomain', '=', subdomain)
      .orderBy('value')
      .execute();

  const resolves = async (name: string, type: string) => {
    await server.refresh();
    return (await dig(server.port, name, type)).answers;
  };

  test('adds records (UDP), signed reply verified by nsupdate; dig and the database see them', async () => {
    const r = await nsupdate(server.port, [
      `update add www.alice.${ROOT} 3600 A 192.0.2.1`,
      `update add www.alice.${ROOT} 3600 AAAA 2001:DB8::1`,
      `update add mail.alice.${ROOT} 60 MX 5 MX1.Example.com.`,
      `update add txt.alice.${ROOT} 60 TXT "hello" "world"`,
    ]);
    expect(r, r.out).toEqual({ code: 0, out: '' });
    expect(await rows('www')).toEqual([
      { type: 'A', value: '192.0.2.1', priority: null },
      { type: 'AAAA', value: '2001:db8::1', priority: null },
    ]);
    expect(await rows('mail')).toEqual([{ type: 'MX', value: 'mx1.example.com', priority: 5 }]);
    expect(await rows('txt')).toEqual([{ type: 'TXT', value: 'helloworld', priority: null }]);
    expect(await resolves(`www.alice.${ROOT}`, 'A')).toEqual([
      `www.alice.${ROOT}. 300 IN A 192.0.2.1`,
    ]);
    const audit = await tdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('effective_user_id', '=', alice.id)
      .execute();
    expect(audit.filter((a) => a.action === 'dns-record.create')).toHaveLength(4);
  });

  test('adding an existing record is a no-op; deleting (TCP) an RR, an RRset, a name', async () => {
    expect((await nsupdate(server.port, [`update add www.alice.${ROOT} 1 A 192.0.2.1`])).code).toBe(
      0,
    );
    expect(await rows('www')).toHaveLength(2);
    let r = await nsupdate(server.port, [`update delete www.alice.${ROOT} A 192.0.2.1`], {
      tcp: true,
    });
    expect(r.code, r.out).toBe(0);
    expect(await rows('www')).toEqual([{ type: 'AAAA', value: '2001:db8::1', priority: null }]);
    r = await nsupdate(server.port, [`update delete mail.alice.${ROOT} MX`], { tcp: true });
    expect(r.code, r.out).toBe(0);
    expect(await rows('mail')).toEqual([]);
    r = await nsupdate(server.port, [
      `update delete txt.alice.${ROOT}`,
      `update delete none.alice.${ROOT}`,
    ]);
    expect(r.code, r.out).toBe(0);
    expect(await rows('txt')).toEqual([]);
    expect(await resolves(`txt.alice.${ROOT}`, 'TXT')).toEqual([]);
  });

  test('prerequisites', async () => {
    let r = await nsupdate(server.port, [
      `prereq nxdomain pre.alice.${ROOT}`,
      `update add pre.alice.${ROOT} 60 A 192.0.2.7`,
    ]);
    expect(r.code, r.out).toBe(0);
    r = await nsupdate(server.port, [
      `prereq nxdomain pre.alice.${ROOT}`,
      `update add pre.alice.${ROOT} 60 A 192.0.2.8`,
    ]);
    expect(r.out).toMatch(/YXDOMAIN/);
    r = await nsupdate(server.port, [
      `prereq yxrrset pre.alice.${ROOT} AAAA`,
      `update delete pre.alice.${ROOT}`,
    ]);
    expect(r.out).toMatch(/NXRRSET/);
    r = await nsupdate(server.port, [
      `prereq nxrrset pre.alice.${ROOT} A`,
      `update delete pre.alice.${ROOT}`,
    ]);
    expect(r.out).toMatch(/YXRRSET/);
    r = await nsupdate(server.port, [
      `prereq yxdomain nope.alice.${ROOT}`,
      `update delete pre.alice.${ROOT}`,
    ]);
    expect(r.out).toMatch(/NXDOMAIN/);
    r = await nsupdate(server.port, [
      `prereq yxrrset pre.alice.${ROOT} A 192.0.2.9`,
      `update delete pre.alice.${ROOT}`,
    ]);
    expect(r.out).toMatch(/NXRRSET/);
    expect(await rows('pre')).toHaveLength(1);
    r = await nsupdate(server.port, [
      `prereq yxrrset pre.alice.${ROOT} A 192.0.2.7`,
      `prereq yxdomain pre.alice.${ROOT}`,
      `update delete pre.alice.${ROOT} A`,
    ]);
    expect(r.code, r.out).toBe(0);
    expect(await rows('pre')).toHaveLength(0);
  });

  test('refused outside the user names, by the scope and by the rules; nothing half-applied', async () => {
    for (const line of [
      `update add www.bob.${ROOT} 60 A 192.0.2.1`,
      `update add ${ROOT} 60 A 192.0.2.1`,
      `update add alice.${ROOT} 60 A 192.0.2.1`,
      `update add a.b.alice.${ROOT} 60 A 192.0.2.1`,
      `update add ns.alice.${ROOT} 60 NS ns.example.com`,
      `update add secret.alice.${ROOT} 60 A 192.0.2.1`,
      `update add bad.alice.${ROOT} 60 CNAME host_name.example.com`,
      `update delete www.bob.${ROOT}`,
    ]) {
      const r = await nsupdate(server.port, [`update add ok.alice.${ROOT} 60 A 192.0.2.1`, line]);
      expect(r.out, line).toMatch(/REFUSED/);
    }
    expect(await rows('ok')).toEqual([]);
    const r = await nsupdate(server.port, [`update add www.example.com 60 A 192.0.2.1`]);
    expect(r.out).toMatch(/NOTZONE/);
    // CNAME beside other data, and the record limit (10).
    await nsupdate(server.port, [`update add c.alice.${ROOT} 60 A 192.0.2.1`]);
    expect(
      (await nsupdate(server.port, [`update add c.alice.${ROOT} 60 CNAME example.com`])).out,
    ).toMatch(/REFUSED/);
    const many = Array.from(
      { length: 12 },
      (_, i) => `update add n${i}.alice.${ROOT} 60 A 192.0.2.${i + 1}`,
    );
    expect((await nsupdate(server.port, many)).out).toMatch(/REFUSED/);
    const bobs = await tdb.db
      .selectFrom('dns_records')
      .select('value')
      .where('user_id', '=', bob.id)
      .execute();
    expect(bobs).toEqual([{ value: '192.0.2.99' }]);
  });

  test('ACME challenge TXT values go to the challenge writer', async () => {
    challenges.length = 0;
    const r = await nsupdate(server.port, [
      `update add _acme-challenge.alice.${ROOT} 60 TXT "token-1"`,
      `update add _acme-challenge.www.alice.${ROOT} 60 TXT "token-2"`,
      `update delete _acme-challenge.www.alice.${ROOT} TXT "token-2"`,
    ]);
    expect(r.code, r.out).toBe(0);
    expect(challenges).toEqual([
      { op: 'add', name: '_acme-challenge', value: 'token-1' },
      { op: 'add', name: '_acme-challenge.www', value: 'token-2' },
      { op: 'remove', name: '_acme-challenge.www', value: 'token-2' },
    ]);
  });

  test('wrong key BADKEY, wrong secret BADSIG (unsigned replies), zone not ours NOTAUTH', async () => {
    let r = await nsupdate(server.port, [`update add k.alice.${ROOT} 60 A 192.0.2.1`], {
      key: 'nobody',
    });
    expect(r.out).toMatch(/NOTAUTH\(BADKEY\)/);
    r = await nsupdate(server.port, [`update add k.alice.${ROOT} 60 A 192.0.2.1`], {
      secret: Buffer.from('another secret of 32 bytes......').toString('base64'),
    });
    expect(r.out).toMatch(/NOTAUTH\(BADSIG\)/);
    expect(await rows('k')).toEqual([]);
    const other = await new Promise<string>((resolve) => {
      const child = execFile('nsupdate', ['-y', `hmac-sha256:alice-key:${SECRET}`], (_e, o, e) =>
        resolve(`${o}${e}`),
      );
      child.stdin!.end(
        `server 127.0.0.1 ${server.port}\nzone example.com\nupdate add www.example.com 60 A 192.0.2.1\nsend\n`,
      );
    });
    expect(other).toMatch(/NOTAUTH/);
  });
});
