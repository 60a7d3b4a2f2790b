/**
 * The built-in DNS server keeps its zone current by reloading only the names each change touched (the
 * dns_zone_changes log). After every kind of change the product makes — create, rename, delete, ACME
 * challenge, suspend, unsuspend, expiry, user deletion — the patched zone must answer exactly like a
 * zone loaded whole from the database, and it must have got there by patching. When the log cannot
 * tell (pruned, or the serial went backwards after a wipe) the server falls back to a whole load.
 * Both dialects.
 */
import dgram from 'node:dgram';
import dnsPacket, { type Answer } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import { Zone, ZoneResponder } from '../../src/adapters/dns/zone-responder.js';
import { deleteZoneChangesBefore, findDnsSerial } from '../../src/db/repos/dns-sync.js';
import type { User } from '../../src/db/schema.js';
import { deleteUser, suspendUser, unsuspendUser } from '../../src/domain/admin/users.js';
import {
  createDnsRecord,
  deleteDnsRecord,
  updateDnsRecord,
} from '../../src/domain/dns-records/dns-records.js';
import { expireItems } from '../../src/domain/lifecycle/expiry.js';
import {
  databaseZoneSource,
  labelNameGroups,
  loadZoneChanges,
  loadZoneRecords,
} from '../../src/domain/reconciler/desired-state.js';
import { markDnsChanged } from '../../src/domain/reconciler/request.js';
import {
  ZONE_CHANGES_RETENTION_MS,
  dnsChangesPurgeJob,
} from '../../src/jobs/dns-changes-purge.job.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { DIALECTS, silentLogger } from '../support/db.js';
import { insertChallenge, insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

const ROOT = 'starchart.test';
const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SOA', 'NS'] as const;

function udpQuery(port: number, name: string, type: string): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  const query = dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: 0,
    questions: [{ name, type: type as 'A', class: 'IN' }],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer for ${name} ${type}`));
    }, 2000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(query, port, '127.0.0.1');
  });
}

/** A response reduced to what must match: rcode, flags, and sorted answer/authority records. */
function summary(wire: Buffer) {
  const p = dnsPacket.decode(wire);
  const line = (a: Answer) =>
    `${a.name.toLowerCase()} ${a.type} ${JSON.stringify((a as { data?: unknown }).data)}`;
  return {
    rcode: (p as { rcode?: string }).rcode,
    aa: Boolean((p.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER),
    answers: (p.answers ?? []).map(line).sort(),
    authorities: (p.authorities ?? []).map(line).sort(),
  };
}

describe.each(DIALECTS)('built-in DNS server follows changes name by name on %s', (dialect) => {
  let app: TestApp;
  let server: EmbeddedDnsServer;
  let admin: User;
  let alice: User;
  let bob: User;
  /** Every name ever asked about: names now present and names that existed before. */
  const asked = new Set<string>([ROOT, `missing.${ROOT}`]);

  beforeAll(async () => {
    app = await createTestApp({ dialect, env: { DNS_SERVER_PORT: '0' } });
    server = app.container.dnsServer!;
    const db = app.container.dbh.db;
    admin = await insertUser(db, { username: 'root-admin', dns_label: 'rootadmin', role: 'admin' });
    alice = await insertUser(db, { username: 'alice', dns_label: 'alice' });
    bob = await insertUser(db, { username: 'bob', dns_label: 'bob' });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    await app?.cleanup();
  });

  const deps = () => ({
    db: app.container.dbh.db,
    config: app.config,
    clock: app.container.clock,
    queue: app.container.queue,
  });
  const as = (user: User) => ({ user, effectiveUser: user, requestId: null });
  const adminActor = () => ({ user: admin, requestId: null });
  const create = (user: User, subdomain: string, type: string, value: string) =>
    createDnsRecord(deps(), as(user), { subdomain, type, value, priority: '' });

  /** Bring the server up to date, then compare it with a zone loaded whole, question by question. */
  async function expectSameAsWholeLoad(how: 'patch' | 'full' | 'unchanged') {
    const before = { ...server.loads };
    await server.refresh();
    const db = app.container.dbh.db;
    const whole = await loadZoneRecords(db, ROOT, () => findDnsSerial(db));
    const reference = new ZoneResponder(
      new Zone({
        origin: ROOT,
        serial: whole.serial,
        nameservers: app.config.dns.embeddedServer.nameservers,
        records: whole.records,
      }),
    );
    for (const r of whole.records) {
      asked.add(r.name);
      asked.add(r.name.slice(r.name.indexOf('.') + 1)); // the user's label (an empty non-terminal)
    }
    for (const name of asked) {
      for (const type of TYPES) {
        const got = summary(await udpQuery(server.port, name, type));
        const query = dnsPacket.encode({
          type: 'query',
          id: 7,
          flags: 0,
          questions: [{ name, type, class: 'IN' }],
        });
        const want = summary(reference.respond(query, 'udp')!);
        expect(got, `${name} ${type}`).toEqual(want);
      }
    }
    if (how === 'patch') {
      expect(server.loads.partial).toBeGreaterThan(before.partial);
      expect(server.loads.full).toBe(before.full);
    } else if (how === 'full') {
      expect(server.loads.full).toBeGreaterThan(before.full);
    } else {
      expect(server.loads).toEqual(before);
    }
  }

  test('every kind of change reaches the zone by a patch, and the result equals a whole load', async () => {
    await expectSameAsWholeLoad('unchanged'); // as loaded at start
    const www = await create(alice, 'www', 'A', '192.0.2.10');
    await create(alice, 'www', 'A', '192.0.2.11');
    await create(alice, 'web', 'CNAME', `www.alice.${ROOT}`);
    const mail = await create(alice, 'mail', 'MX', 'mx.example.com');
    await create(bob, 'txt', 'TXT', 'hello');
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `www.alice.${ROOT}`, 'A')).answers).toHaveLength(2);

    // Renaming a record moves it: the old name keeps its other record, the new name appears.
    await updateDnsRecord(deps(), as(alice), www.id, {
      subdomain: 'renamed',
      type: 'A',
      value: '192.0.2.10',
      priority: '',
    });
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `www.alice.${ROOT}`, 'A')).answers).toHaveLength(1);

    // Deleting the only record at a name makes it NXDOMAIN.
    await deleteDnsRecord(deps(), as(alice), mail.id);
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `mail.alice.${ROOT}`, 'MX')).rcode).toBe('NXDOMAIN');

    // An ACME challenge value, logged as issuance logs it.
    const db = app.container.dbh.db;
    const now = Date.now();
    await insertChallenge(db, bob, 'token-1');
    await markDnsChanged(db, [{ label: 'bob', name: '_acme-challenge' }], now);
    await expectSameAsWholeLoad('patch');
    const challenge = summary(await udpQuery(server.port, `_acme-challenge.bob.${ROOT}`, 'TXT'));
    expect(challenge.answers).toHaveLength(1);
    expect(
      dnsPacket
        .decode(await udpQuery(server.port, `_acme-challenge.bob.${ROOT}`, 'TXT'))
        .answers!.map((a) => String((a as { data: Buffer[] }).data[0])),
    ).toEqual(['token-1']);

    // Suspension withdraws the whole label (records and challenge); lifting it brings it back.
    await suspendUser(deps(), adminActor(), bob.id, 'test');
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `txt.bob.${ROOT}`, 'TXT')).rcode).toBe('NXDOMAIN');
    await unsuspendUser(deps(), adminActor(), bob.id);
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `txt.bob.${ROOT}`, 'TXT')).answers).toHaveLength(1);

    // Expiry removes records name by name.
    await create(bob, 'soon', 'A', '192.0.2.50');
    await expireItems({
      db,
      now: Date.now() + (app.config.dns.recordLifetimeDays + 1) * 86_400_000,
      email: { productName: 'My.Custom.Domain', appUrl: 'http://localhost:8080' },
      rootDomain: ROOT,
    });
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `soon.bob.${ROOT}`, 'A')).rcode).toBe('NXDOMAIN');

    // Deleting a user withdraws everything under their label.
    await create(alice, 'again', 'A', '192.0.2.60');
    await deleteUser(deps(), adminActor(), alice.id);
    await expectSameAsWholeLoad('patch');
    expect(summary(await udpQuery(server.port, `again.alice.${ROOT}`, 'A')).rcode).toBe('NXDOMAIN');
  });

  test('a class changing many labels at once: the patch, looked up in groups, holds exactly the changed names', async () => {
    const db = app.container.dbh.db;
    const students: User[] = [];
    for (let i = 0; i < 60; i++) {
      const u = await insertUser(db, { username: `class${i}`, dns_label: `class${i}` });
      students.push(u);
      await insertRecord(db, u, `unchanged${i}`, 'A', '192.0.2.1');
    }
    await markDnsChanged(
      db,
      students.map((u) => u.dns_label),
      Date.now(),
    );
    const before = await findDnsSerial(db);
    const changed = new Map<string, Set<string>>();
    for (const [i, u] of students.entries()) {
      await insertRecord(db, u, `site${i}`, 'A', `192.0.2.${i + 2}`);
      changed.set(u.dns_label, new Set([`site${i}`]));
    }
    await markDnsChanged(
      db,
      students.map((u, i) => ({ label: u.dns_label, name: `site${i}` })),
      Date.now(),
    );
    expect(labelNameGroups(changed).length).toBeGreaterThan(1); // 60 labels x 60 names > 512

    const patch = (await loadZoneChanges(db, ROOT, before))!;
    const names = new Set(students.map((u, i) => `site${i}.${u.dns_label}.${ROOT}`));
    const whole = await loadZoneRecords(db, ROOT, () => findDnsSerial(db));
    const key = (r: { name: string; type: string; value: string }) =>
      `${r.name} ${r.type} ${r.value}`;
    expect(patch.records.map(key).sort()).toEqual(
      whole.records
        .filter((r) => names.has(r.name))
        .map(key)
        .sort(),
    );
    expect(patch.records).toHaveLength(60);
    expect(patch.scopes.map((sc) => sc.name).sort()).toEqual([...names].sort());
    await expectSameAsWholeLoad('patch');
  });

  test('a server behind the pruned log, or ahead of a wiped database, reloads the whole zone', async () => {
    const db = app.container.dbh.db;
    const carol = await insertUser(db, { username: 'carol', dns_label: 'carol' });
    await create(carol, 'one', 'A', '192.0.2.1');
    // Forget the change log up to now: the server cannot know what changed since its serial.
    expect(await deleteZoneChangesBefore(db, Date.now() + 1)).toBeGreaterThan(0);
    await expectSameAsWholeLoad('full');
    expect(summary(await udpQuery(server.port, `one.carol.${ROOT}`, 'A')).answers).toHaveLength(1);

    // Pruned rows are gone, later changes are patched again.
    expect(await db.selectFrom('dns_zone_changes').select('id').execute()).toEqual([]);
    await create(carol, 'two', 'A', '192.0.2.2');
    await expectSameAsWholeLoad('patch');

    // A serial lower than the server's (the database was wiped and rebuilt) means a whole load.
    await db.updateTable('system_state').set({ dns_serial: 1 }).where('id', '=', 1).execute();
    await expectSameAsWholeLoad('full');
  });

  test('rows changed behind its back (no change logged) are picked up by the periodic whole load', async () => {
    const db = app.container.dbh.db;
    const dave = await insertUser(db, { username: 'dave', dns_label: 'dave' });
    const separate = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: app.config.dns.embeddedServer.nameservers,
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      pollMs: 20,
      minReloadMs: 0,
      fullReloadMs: 300,
      source: databaseZoneSource(db, ROOT),
    });
    await separate.start();
    try {
      // A row written straight into the database: no serial bump, no change logged.
      await insertRecord(db, dave, 'byhand', 'A', '192.0.2.77');
      const name = `byhand.dave.${ROOT}`;
      let answers: string[] = [];
      for (let i = 0; i < 100 && answers.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        answers = summary(await udpQuery(separate.port, name, 'A')).answers;
      }
      expect(answers).toHaveLength(1);
      expect(separate.loads.full).toBeGreaterThan(1);
    } finally {
      await separate.stop();
    }
  });

  test('dns.changes.purge forgets rows older than the retention and keeps newer ones', async () => {
    const db = app.container.dbh.db;
    const erin = await insertUser(db, { username: 'erin', dns_label: 'erin' });
    const now = Date.now();
    const old = await markDnsChanged(
      db,
      [{ label: 'erin', name: 'old' }],
      now - ZONE_CHANGES_RETENTION_MS - 1000,
    );
    await markDnsChanged(db, [{ label: erin.dns_label, name: 'new' }], now);
    const deps = { ...app.container.jobDeps, clock: { now: () => now } };
    await dnsChangesPurgeJob.handler({}, deps, {
      jobName: dnsChangesPurgeJob.name,
      attempt: 1,
      signal: new AbortController().signal,
    });
    const rows = await db
      .selectFrom('dns_zone_changes')
      .select('name')
      .where('label', '=', 'erin')
      .execute();
    expect(rows.map((r) => r.name)).toEqual(['new']);
    // Rows of earlier tests, all newer than the retention, are kept too.
    expect((await db.selectFrom('dns_zone_changes').select('id').execute()).length).toBeGreaterThan(
      1,
    );
    const state = await db
      .selectFrom('system_state')
      .select('dns_changes_pruned_serial')
      .executeTakeFirstOrThrow();
    // The watermark covers the pruned row, so a server behind it reloads the whole zone. (Not equal:
    // an earlier test here rewinds the serial as a wipe would, below the watermark it had set.)
    expect(Number(state.dns_changes_pruned_serial)).toBeGreaterThanOrEqual(old);
  });
});
