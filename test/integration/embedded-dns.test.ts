/**
 * The built-in DNS server, queried with dig, compared with a real authoritative server (knotd) loaded
 * with the same zone; plus the end-to-end flow: create a record on the web → it resolves; delete → NXDOMAIN.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import { loadConfig } from '../../src/config.js';
import { findDnsSerial } from '../../src/db/repos/dns-sync.js';
import type { RecordType } from '../../src/domain/dns-records/types.js';
import { databaseZoneSource } from '../../src/domain/reconciler/desired-state.js';
import { markDnsChanged } from '../../src/domain/reconciler/request.js';
import { createSession } from '../../src/domain/sessions/sessions.js';
import { type RunningService, startService } from '../../src/service.js';
import { type TestDb, createTestDb, silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { insertChallenge, insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { type KnotServer, dig, startKnot } from '../support/knot.js';

const ROOT = 'starchart.test';
const NS = [`ns1.${ROOT}`, `ns2.${ROOT}`];
const LONG_TXT = `v=long;${'abcdefghij'.repeat(60)}"quoted" back\\slash ünïcode`;

describe('embedded DNS server vs knotd', () => {
  let tdb: TestDb;
  let server: EmbeddedDnsServer;
  let knot: KnotServer;

  beforeAll(async () => {
    tdb = await createTestDb('sqlite');
    const db = tdb.db;
    const alice = await insertUser(db, { username: 'alice', dns_label: 'alice' });
    const rec = (subdomain: string, type: string, value: string, priority: number | null = null) =>
      insertRecord(db, alice, subdomain, type as RecordType, value, priority);
    await rec('www', 'A', '192.0.2.10');
    await rec('www', 'A', '192.0.2.11');
    await rec('www', 'AAAA', '2001:db8::10');
    await rec('web', 'CNAME', 'www.alice.starchart.test');
    await rec('ext', 'CNAME', 'example.com');
    await rec('dangling', 'CNAME', 'nothing.alice.starchart.test');
    await rec('mail', 'MX', 'mx1.example.com', 10);
    await rec('mail', 'MX', 'mx2.example.com', 20);
    await rec('txt', 'TXT', 'hello world');
    await rec('long', 'TXT', LONG_TXT);
    for (let i = 0; i < 12; i++) await rec('big', 'TXT', `${'x'.repeat(90)}-${i}`);
    await insertChallenge(db, alice, 'challenge-token-1');
    const source = databaseZoneSource(db, ROOT);
    server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: NS,
      host: '127.0.0.1',
      port: 0,
      source,
      logger: silentLogger,
    });
    await server.start();
    const zone = await source.load();
    knot = await startKnot(ROOT, zone.serial, NS, zone.records);
  });

  afterAll(async () => {
    await server?.stop();
    await knot?.stop();
    await tdb?.cleanup();
  });

  const corpus: [string, string, string[]?][] = [
    ['www.alice.starchart.test', 'A'],
    ['WWW.Alice.STARCHART.test', 'A'],
    ['www.alice.starchart.test', 'AAAA'],
    ['www.alice.starchart.test', 'MX'],
    ['www.alice.starchart.test', 'TXT'],
    ['nope.alice.starchart.test', 'A'],
    ['deep.www.alice.starchart.test', 'A'],
    ['alice.starchart.test', 'A'],
    ['nobody.starchart.test', 'A'],
    ['starchart.test', 'SOA'],
    ['starchart.test', 'NS'],
    ['starchart.test', 'A'],
    ['web.alice.starchart.test', 'A'],
    ['web.alice.starchart.test', 'CNAME'],
    ['web.alice.starchart.test', 'AAAA'],
    ['ext.alice.starchart.test', 'A'],
    ['dangling.alice.starchart.test', 'A'],
    ['mail.alice.starchart.test', 'MX'],
    ['mail.alice.starchart.test', 'A'],
    ['txt.alice.starchart.test', 'TXT'],
    ['long.alice.starchart.test', 'TXT'],
    ['big.alice.starchart.test', 'TXT', ['+tcp']],
    ['big.alice.starchart.test', 'TXT', ['+noedns', '+ignore']],
    ['big.alice.starchart.test', 'TXT', ['+bufsize=4096']],
    ['_acme-challenge.alice.starchart.test', 'TXT'],
    ['_ACME-challenge.alice.starchart.test', 'TXT'],
    ['example.com', 'A'],
    ['starchart.test.example.com', 'A'],
    ['other.test', 'SOA'],
    ['www.alice.starchart.test', 'A', ['+tcp']],
    ['www.alice.starchart.test', 'A', ['+noedns']],
  ];

  test.each(corpus)('%s %s %j answers like knot', async (name, type, extra) => {
    const ours = await dig(server.port, name, type, extra ?? []);
    const theirs = await dig(knot.port, name, type, extra ?? []);
    expect(ours.status, ours.raw).toBe(theirs.status);
    expect(ours.flags, `${ours.raw}\n--- knot ---\n${theirs.raw}`).toEqual(theirs.flags);
    expect(ours.answers, `${ours.raw}\n--- knot ---\n${theirs.raw}`).toEqual(theirs.answers);
  });

  test('the corpus exercises every outcome', async () => {
    const d = (n: string, t: string, e: string[] = []) => dig(server.port, n, t, e);
    expect((await d('www.alice.starchart.test', 'A')).answers).toHaveLength(2);
    expect((await d('nope.alice.starchart.test', 'A')).status).toBe('NXDOMAIN');
    const nodata = await d('alice.starchart.test', 'A');
    expect([nodata.status, nodata.answers.length]).toEqual(['NOERROR', 0]);
    expect(nodata.raw).toMatch(/AUTHORITY SECTION:\nstarchart\.test\.\s+60\s+IN\s+SOA/);
    expect((await d('example.com', 'A')).status).toBe('REFUSED');
    expect((await d('example.com', 'A')).flags).not.toContain('aa');
    expect((await d('big.alice.starchart.test', 'TXT', ['+noedns', '+ignore'])).flags).toContain(
      'tc',
    );
    expect((await d('big.alice.starchart.test', 'TXT', ['+tcp'])).answers).toHaveLength(12);
    const long = (await d('long.alice.starchart.test', 'TXT')).answers[0]!;
    expect(long.match(/" "/g)?.length).toBe(2); // three strings of at most 255 bytes
  });
});

describe('embedded mode end to end', () => {
  let service: RunningService;
  let dataDir: string;
  let cleanupDb: () => Promise<void>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-e2e-dns-'));
    const dbCfg = uniqueDatabaseConfig('sqlite');
    cleanupDb = dbCfg.cleanup;
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: dbCfg.url,
      ROOT_DOMAIN: ROOT,
      PORT: '0',
      HOST: '127.0.0.1',
      DNS_SERVER_PORT: '0',
      DNS_PROVIDER: 'embedded',
    });
    service = await startService(config, silentLogger);
  });

  afterAll(async () => {
    await service?.stop();
    await cleanupDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const until = async (fn: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await fn()) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };

  test('create www A 192.0.2.10 → dig answers; delete → NXDOMAIN', async () => {
    const { container } = service;
    const cfg = container.config;
    const user = await insertUser(container.dbh.db, { username: 'bob', dns_label: 'bob' });
    const s = await createSession(
      container.dbh.db,
      {
        secret: cfg.sessionSecret,
        idleTimeoutMs: cfg.session.idleTimeoutMs,
        absoluteTimeoutMs: cfg.session.absoluteTimeoutMs,
      },
      user.id,
      Date.now(),
    );
    const post = (p: string, form: Record<string, string>) =>
      fetch(`${service.url}${p}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: `__session=${s.cookie}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ ...form, _csrf: s.csrfToken }).toString(),
      });
    const created = await post('/dns-records/new', {
      subdomain: 'www',
      type: 'A',
      value: '192.0.2.10',
    });
    expect(created.status).toBe(303);
    const port = service.dnsPort!;
    expect(
      await until(async () => (await dig(port, `www.bob.${ROOT}`, 'A')).answers.length === 1),
    ).toBe(true);
    expect((await dig(port, `www.bob.${ROOT}`, 'A')).answers[0]).toMatch(/\sA\s192\.0\.2\.10$/);
    const row = await container.dbh.db
      .selectFrom('dns_records')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('live');
    const deleted = await post(`/dns-records/${row.id}/delete`, { confirm: 'yes' });
    expect(deleted.status).toBe(303);
    expect(
      await until(async () => (await dig(port, `www.bob.${ROOT}`, 'A')).status === 'NXDOMAIN'),
    ).toBe(true);
  });
});

describe('built-in DNS server with a UDP worker process (DNS_SERVER_UDP_WORKERS=1)', () => {
  test('the worker answers from the same zone, and follows every patch', async () => {
    const tdb = await createTestDb('sqlite');
    const db = tdb.db;
    const carol = await insertUser(db, { username: 'carol', dns_label: 'carol' });
    const add = async (subdomain: string, value: string) => {
      await insertRecord(db, carol, subdomain, 'A', value);
      await markDnsChanged(db, [{ label: 'carol', name: subdomain }], Date.now());
    };
    await add('one', '192.0.2.1');
    const server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: NS,
      host: '127.0.0.1',
      port: 0,
      udpWorkers: 1,
      source: databaseZoneSource(db, ROOT),
      logger: silentLogger,
      pollMs: 50,
    });
    try {
      await server.start();
      const serial = async () => (await findDnsSerial(db)) >>> 0;
      expect(server.workerZoneSerials()).toEqual([await serial()]);
      // The parent and the worker read the same socket: every answer must be right, whoever sends it.
      for (let i = 0; i < 20; i++)
        expect((await dig(server.port, `one.carol.${ROOT}`, 'A')).answers).toHaveLength(1);

      await add('two', '192.0.2.2');
      const target = await serial();
      for (let i = 0; i < 100 && server.workerZoneSerials()[0] !== target; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(server.workerZoneSerials()).toEqual([target]);
      expect(server.loads.partial).toBeGreaterThan(0); // the worker got a patch, not a new zone
      for (let i = 0; i < 20; i++)
        expect((await dig(server.port, `two.carol.${ROOT}`, 'A')).answers[0]).toMatch(
          /\sA\s192\.0\.2\.2$/,
        );
      // …and the one record left in place by the patch is still answered by both.
      for (let i = 0; i < 20; i++)
        expect((await dig(server.port, `one.carol.${ROOT}`, 'A')).answers).toHaveLength(1);
    } finally {
      await server.stop();
      await tdb.cleanup();
    }
  });
});
