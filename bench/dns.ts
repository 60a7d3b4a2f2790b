/**
 * DNS benchmarks (prints figures; never asserts). Run: `npm run bench:dns [section…]`
 * Sections: page, big, post, reconcile, latency, dnsperf (default: all).
 *
 *  page      GET /dns-records, user with 10 records, signed in, 50 connections: req/s, p99, size, RSS
 *  big       a user with 5,000 records: time of paginated pages
 *  post      POST /dns-records/new with CSRF + limit check, 10 connections: req/s, for one user and
 *            for a class of BENCH_CLASS_USERS (default 5,000) students taking turns
 *  reconcile 10,000 users × 10 records into the fake Route53 throttled at 5 req/s: API calls vs the
 *            minimum, then an unchanged pass (0 change calls expected)
 *  latency   one change → visible: built-in server (dig answers) and fake Route53 (INSYNC)
 *  dnsperf   built-in server vs knotd on the same zone: queries/s and p99 latency
 *
 * BENCH_PAGE_SECONDS sets how long the page section loads the server (default 15): V8 collects the old
 * generation only every minute or so under that load, so a 60 s run shows RSS before and after it does.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedDnsServer } from '../src/adapters/dns/embedded-server.js';
import { Route53Provider } from '../src/adapters/dns/route53.js';
import { loadConfig } from '../src/config.js';
import type { Db } from '../src/db/client.js';
import type { User } from '../src/db/schema.js';
import { databaseZoneSource } from '../src/domain/reconciler/desired-state.js';
import { reconcileDns } from '../src/domain/reconciler/reconcile.js';
import { markDnsChanged } from '../src/domain/reconciler/request.js';
import { createSession } from '../src/domain/sessions/sessions.js';
import { type RunningService, startService } from '../src/service.js';
import { createTestDb, silentLogger, uniqueDatabaseConfig } from '../test/support/db.js';
import { insertUser } from '../test/support/factories.js';
import { FakeRoute53 } from '../test/support/fake-route53.js';
import { dig, startKnot } from '../test/support/knot.js';
import { load } from './support/load.js';
import { recordInserter } from './support/populate.js';
import { printMachineSpeed } from './support/calibrate.js';
import { startServerProcess } from './support/server.js';

const run = promisify(execFile);
const ROOT = 'starchart.test';
const sections = process.argv.slice(2);
const want = (s: string) =>
  sections.length === 0 || sections.includes(s) || sections.includes('all');
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function service(
  env: Record<string, string> = {},
): Promise<{ svc: RunningService; cleanup: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
  const dbCfg = uniqueDatabaseConfig('sqlite');
  const config = loadConfig({
    NODE_ENV: 'production' === env.NODE_ENV ? 'production' : 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: dbCfg.url,
    ROOT_DOMAIN: ROOT,
    PORT: '0',
    HOST: '127.0.0.1',
    DNS_SERVER_PORT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const svc = await startService(config, silentLogger);
  return {
    svc,
    cleanup: async () => {
      await svc.stop();
      await dbCfg.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function signIn(svc: RunningService, user: User) {
  const cfg = svc.container.config;
  const s = await createSession(
    svc.container.dbh.db,
    {
      secret: cfg.sessionSecret,
      idleTimeoutMs: cfg.session.idleTimeoutMs,
      absoluteTimeoutMs: cfg.session.absoluteTimeoutMs,
    },
    user.id,
    Date.now(),
  );
  return { cookie: `__session=${s.cookie}`, csrf: s.csrfToken };
}

async function bulkRecords(db: Db, users: User[], perUser: number) {
  const inserter = recordInserter(db, 500);
  for (const u of users)
    for (let i = 0; i < perUser; i++)
      await inserter.add(u.id, `host${i}`, `10.${i % 250}.${u.id % 250}.${(u.id >> 8) % 250}`);
  await inserter.flush();
}

/** GET without automatic decompression: bytes as sent on the wire. */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ bytes: number; encoding: string | undefined }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
      })
      .on('error', reject);
  });
}

async function benchPage() {
  const srv = await startServerProcess();
  const db = srv.db.db;
  const user = await insertUser(db);
  await bulkRecords(db, [user], 10);
  const { cookie } = await srv.signIn(user.id);
  const url = `${srv.url}/dns-records`;
  const plain = await fetch(url, { headers: { cookie } });
  const html = await plain.text();
  const gz = await rawGet(url, { cookie, 'accept-encoding': 'gzip' });
  const headers = { cookie, 'accept-encoding': 'gzip' };
  const idle = srv.rss();
  await load({ url, connections: 50, duration: 3, headers }); // warm-up
  const peak = srv.sampleRss();
  const seconds = Number(process.env.BENCH_PAGE_SECONDS ?? 15);
  const r = await load({ url, connections: 50, duration: seconds, headers });
  const rss = peak();
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
  console.log(
    `\n## GET /dns-records (10 records, 50 connections, ${seconds} s, gzip; server: ${srv.runtime}, load: ${r.tool})`,
  );
  console.log(
    `requests/s: ${r.rps.toFixed(0)}   p50: ${ms(r.p50)}   p99: ${ms(r.p99)}   non-2xx: ${r.bad}   errors: ${r.errors}`,
  );
  console.log(
    `page: ${(Buffer.byteLength(html) / 1024).toFixed(1)} KB uncompressed, ${(gz.bytes / 1024).toFixed(1)} KB on the wire (content-encoding: ${gz.encoding ?? 'identity'})`,
  );
  console.log(
    `server RSS: idle ${mb(idle)}, peak under load ${mb(rss)}, after load ${mb(srv.rss())} (server process: web + in-process jobs + built-in DNS)`,
  );
  printMachineSpeed();
  await srv.stop();
}

async function benchBig() {
  const srv = await startServerProcess();
  const db = srv.db.db;
  const user = await insertUser(db);
  await bulkRecords(db, [user], 5000);
  const { cookie } = await srv.signIn(user.id);
  console.log(
    `\n## user with 5,000 records: paginated page time (sequential, median of 20; server: ${srv.runtime})`,
  );
  for (const page of [1, 50, 100]) {
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      size = (
        await rawGet(`${srv.url}/dns-records?page=${page}`, { cookie, 'accept-encoding': 'gzip' })
      ).bytes;
      if (i > 0) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `page ${page}: median ${ms(times[10]!)}, max ${ms(times[times.length - 1]!)}, ${(size / 1024).toFixed(1)} KB gzip`,
    );
  }
  await srv.stop();
}

async function benchPost() {
  const srv = await startServerProcess({ USER_DNS_RECORD_LIMIT: '1000000' });
  const db = srv.db.db;
  const user = await insertUser(db);
  const { cookie, csrf } = await srv.signIn(user.id);
  const url = `${srv.url}/dns-records/new`;
  const form = {
    _csrf: csrf,
    subdomain: 'p',
    type: 'A',
    value: '192.0.2.1',
    priority: '',
    ports: '',
    course: '',
    description: '',
  };
  await load({ url, connections: 10, duration: 2, headers: { cookie }, form });
  const before = await countRows(db);
  const r = await load({ url, connections: 10, duration: 10, headers: { cookie }, form });
  const created = (await countRows(db)) - before;
  console.log(
    `\n## POST /dns-records/new (CSRF + limit check + insert + audit + DNS change mark, 10 connections, 10 s; server: ${srv.runtime}, load: ${r.tool})`,
  );
  console.log(
    `one user, no limit (their record set grows to thousands): requests/s: ${r.rps.toFixed(0)}   p50: ${ms(r.p50)}   p99: ${ms(r.p99)}   records created: ${created} of ${r.requests} requests   non-2xx/3xx: ${r.bad}   errors: ${r.errors}`,
  );
  await srv.stop();

  // A class at work: many students, each under the record limit, each request from the next one.
  const USERS = Number(process.env.BENCH_CLASS_USERS ?? 5000);
  const LIMIT = 20;
  const cls = await startServerProcess({ USER_DNS_RECORD_LIMIT: String(LIMIT) });
  const sessions: { cookie: string; csrf: string }[] = [];
  for (let i = 0; i < USERS; i++) sessions.push(await cls.signIn((await insertUser(cls.db.db)).id));
  const classUrl = `${cls.url}/dns-records/new`;
  await load({ url: classUrl, connections: 10, duration: 2, form, sessions });
  const before2 = await countRows(cls.db.db);
  const r2 = await load({ url: classUrl, connections: 10, duration: 10, form, sessions });
  const created2 = (await countRows(cls.db.db)) - before2;
  console.log(
    `${USERS} users in turn, limit ${LIMIT} each: requests/s: ${r2.rps.toFixed(0)}   p50: ${ms(r2.p50)}   p99: ${ms(r2.p99)}   records created: ${created2} of ${r2.requests} requests   non-2xx/3xx: ${r2.bad} (over the limit: 409 once a user has ${LIMIT})   errors: ${r2.errors}`,
  );
  printMachineSpeed();
  await cls.stop();
}

async function countRows(db: Db): Promise<number> {
  const n = await db
    .selectFrom('dns_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n.n);
}

async function benchReconcile() {
  // The service's default pace (AWS_ROUTE53_REQUESTS_PER_SECOND); 0 shows bursting and backing off.
  const pace = Number(process.env.AWS_ROUTE53_REQUESTS_PER_SECOND ?? 5);
  const fake = new FakeRoute53({
    origin: ROOT,
    throttleRps: 5,
    insyncDelayMs: 1000,
    maxRecordSetsInZone: 0,
  });
  await fake.start();
  const tdb = await createTestDb('sqlite');
  const db = tdb.db;
  const users: User[] = [];
  const now = Date.now();
  for (let i = 0; i < 10_000; i += 500) {
    const batch = Array.from({ length: 500 }, (_, j) => ({
      username: `bench${i + j}`,
      dns_label: `bench${i + j}`,
      display_name: 'x',
      email: `bench${i + j}@example.edu`,
      groups: '[]',
      role: 'student' as const,
      suspended_at: null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    }));
    await db.insertInto('users').values(batch).execute();
  }
  users.push(...(await db.selectFrom('users').selectAll().execute()));
  await bulkRecords(db, users, 10);
  for (let i = 0; i < users.length; i += 1000)
    await markDnsChanged(
      db,
      users.slice(i, i + 1000).map((u) => u.dns_label),
      Date.now(),
    );
  const provider = new Route53Provider({
    hostedZoneId: fake.zoneId,
    region: 'us-east-1',
    endpoint: fake.endpoint,
    requestsPerSecond: pace,
    accessKeyId: 'test',
    secretAccessKey: 'test',
  });
  const deps = {
    db,
    provider,
    clock: { now: () => Date.now() },
    logger: silentLogger,
    rootDomain: ROOT,
  };
  console.log(
    `\n## reconcile 10,000 users × 10 records into fake Route53 throttled at 5 req/s (client pace: ${pace > 0 ? `${pace} req/s` : 'none'})`,
  );
  let t0 = performance.now();
  const first = await reconcileDns(deps, 'changes');
  let secs = (performance.now() - t0) / 1000;
  const s1 = { ...fake.stats };
  console.log(
    `first pass: ${secs.toFixed(1)} s; ChangeResourceRecordSets ${s1.change} (minimum the limits allow: ${first.minimumRequests}, ratio ${(s1.change / first.minimumRequests).toFixed(2)}), ` +
      `List ${s1.list}, GetChange ${s1.getChange}, throttled ${s1.throttled}, busy ${s1.busy}, rejected ${s1.rejected}; ` +
      `all API calls incl. throttled ones ${s1.change + s1.list + s1.getChange + s1.throttled} (ratio to the change minimum ${((s1.change + s1.list + s1.getChange + s1.throttled) / first.minimumRequests).toFixed(2)}); max elements/request ${Math.max(...s1.changeElements)}`,
  );
  const live = await db
    .selectFrom('dns_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'live')
    .executeTakeFirstOrThrow();
  console.log(
    `records live after the pass: ${live.n} / 100000; record sets at the fake: ${fake.sets.size}`,
  );
  fake.resetStats();
  t0 = performance.now();
  const second = await reconcileDns(deps, 'full');
  secs = (performance.now() - t0) / 1000;
  console.log(
    `unchanged full pass: ${secs.toFixed(1)} s; change calls ${fake.stats.change} (report: ${second.changeRequests}), List ${fake.stats.list}, GetChange ${fake.stats.getChange}, throttled ${fake.stats.throttled}`,
  );
  await tdb.cleanup();
  await fake.stop();
}

async function benchLatency() {
  console.log('\n## one change → visible');
  {
    const { svc, cleanup } = await service({ DNS_PROVIDER: 'embedded' });
    const user = await insertUser(svc.container.dbh.db);
    const { cookie, csrf } = await signIn(svc, user);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await fetch(`${svc.url}/dns-records/new`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          _csrf: csrf,
          subdomain: `lat${i}`,
          type: 'A',
          value: '192.0.2.10',
        }).toString(),
      });
      while (
        (await dig(svc.dnsPort!, `lat${i}.${user.dns_label}.${ROOT}`, 'A', ['+time=1'])).answers
          .length === 0
      ) {
        /* poll */
      }
      samples.push(performance.now() - t0);
    }
    console.log(
      `built-in server: POST → dig answers: ${samples.map((s) => s.toFixed(0)).join(', ')} ms (each includes one dig process spawn)`,
    );
    await cleanup();
  }
  {
    const fake = new FakeRoute53({ origin: ROOT, insyncDelayMs: 2000 });
    await fake.start();
    const { svc, cleanup } = await service({
      DNS_PROVIDER: 'route53',
      AWS_ROUTE53_HOSTED_ZONE_ID: fake.zoneId,
      AWS_ROUTE53_ENDPOINT: fake.endpoint,
    });
    const db = svc.container.dbh.db;
    const user = await insertUser(db);
    const { cookie, csrf } = await signIn(svc, user);
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await fetch(`${svc.url}/dns-records/new`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          _csrf: csrf,
          subdomain: `r53lat${i}`,
          type: 'A',
          value: '192.0.2.10',
        }).toString(),
      });
      for (;;) {
        const row = await db
          .selectFrom('dns_records')
          .select('status')
          .where('subdomain', '=', `r53lat${i}`)
          .executeTakeFirst();
        if (row?.status === 'live') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      samples.push(performance.now() - t0);
    }
    const resolves =
      (await dig(fake.dnsPort, `r53lat0.${user.dns_label}.${ROOT}`, 'A')).answers.length === 1;
    console.log(
      `fake Route53 (INSYNC after 2000 ms): POST → status live (INSYNC): ${samples.map((s) => s.toFixed(0)).join(', ')} ms; resolves via the fake: ${resolves}`,
    );
    await cleanup();
    await fake.stop();
  }
}

async function dnsperf(port: number, file: string, verbose: boolean) {
  const args = [
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    file,
    '-l',
    verbose ? '5' : '10',
    '-c',
    '4',
    '-q',
    '200',
  ];
  if (verbose) args.push('-v');
  const { stdout } = await run('dnsperf', args, { maxBuffer: 1024 * 1024 * 1024 });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const lost = /Queries lost:\s+(\d+)/.exec(stdout)?.[1] ?? '?';
  let p99 = NaN;
  let p50 = NaN;
  if (verbose) {
    const lat = [...stdout.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)]
      .map((m) => Number(m[1]) * 1000)
      .sort((a, b) => a - b);
    p50 = lat[Math.floor(lat.length * 0.5)] ?? NaN;
    p99 = lat[Math.floor(lat.length * 0.99)] ?? NaN;
  }
  return { qps, lost, p50, p99 };
}

async function benchDnsperf() {
  const tdb = await createTestDb('sqlite');
  const db = tdb.db;
  const users: User[] = [];
  for (let i = 0; i < 200; i++)
    users.push(await insertUser(db, { username: `perf${i}`, dns_label: `perf${i}` }));
  await bulkRecords(db, users, 10);
  const source = databaseZoneSource(db, ROOT);
  const workers = Number(process.env.BENCH_DNS_WORKERS ?? '1');
  const servers = [0, ...(workers > 0 ? [workers] : [])].map(
    (udpWorkers) =>
      new EmbeddedDnsServer({
        origin: ROOT,
        nameservers: [`ns1.${ROOT}`],
        host: '127.0.0.1',
        port: 0,
        udpWorkers,
        source,
        logger: silentLogger,
      }),
  );
  for (const s of servers) await s.start();
  const zone = await source.load();
  const knot = await startKnot(ROOT, zone.serial, [`ns1.${ROOT}`], zone.records);
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-dnsperf-'));
  const file = path.join(dir, 'queries');
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const u = `perf${i % 200}`;
    const k = i % 10;
    if (k < 6) lines.push(`host${i % 10}.${u}.${ROOT} A`);
    else if (k < 8) lines.push(`missing${i}.${u}.${ROOT} A`);
    else if (k === 8) lines.push(`host1.${u}.${ROOT} AAAA`);
    else lines.push(`${ROOT} SOA`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  console.log(
    `\n## dnsperf (${zone.records.length} records; 60% answers, 20% NXDOMAIN, 10% NODATA, 10% SOA; 4 clients, 200 outstanding)`,
  );
  for (const [name, port] of [
    ['built-in (this process only)', servers[0]!.port],
    ...servers.slice(1).map((s) => [`built-in + ${workers} UDP worker(s)`, s.port] as const),
    ['knotd', knot.port],
  ] as const) {
    const q = await dnsperf(port, file, false);
    const v = await dnsperf(port, file, true);
    console.log(
      `${name}: ${q.qps.toFixed(0)} queries/s (lost ${q.lost}); latency (verbose run at ${v.qps.toFixed(0)} q/s): p50 ${v.p50.toFixed(3)} ms, p99 ${v.p99.toFixed(3)} ms`,
    );
  }
  for (const s of servers) await s.stop();
  await knot.stop();
  rmSync(dir, { recursive: true, force: true });
  await tdb.cleanup();
}

printMachineSpeed();
if (want('page')) await benchPage();
if (want('big')) await benchBig();
if (want('post')) await benchPost();
if (want('latency')) await benchLatency();
if (want('dnsperf')) await benchDnsperf();
if (want('reconcile')) await benchReconcile();
process.exit(0);
