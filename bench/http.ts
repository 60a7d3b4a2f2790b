/**
 * The HTTP cells on the production path (prints figures; never asserts). For each dialect — SQLite
 * (embedded: in-process jobs, memory rate limiter) and MariaDB + Redis (BullMQ, Redis rate limiter) —
 * it builds the service if dist/ is stale, runs it with the production command (`npm run start:prod`:
 * node, its flags, dist/src/main.js) against a populated database, and measures:
 *
 *  - idle RSS after start-up and a settle period (DNS provider: Route53, against the in-process fake
 *    test/support/fake-route53.ts already holding the zone, so the start-up pass has nothing to push);
 *  - GET cells at 50 connections (ab -k, gzip): records page of a 10-record user and of a 5,000-record
 *    user, /healthcheck, /login; each beside a bare node:http server sending the same status, headers
 *    and gzip bytes, in alternating rounds, with the real/bare ratios of req/s and per-request CPU;
 *  - POST /dns-records/new (web form, CSRF, limit check on) at 10 connections (wrk): one user, and
 *    BENCH_TURN_USERS users taking turns; req/s, p50/p99, records created, CPU per request;
 *  - MariaDB only: statements and round trips per request, counted by a pass-through proxy in front
 *    of MariaDB (a second start of the service, not timed).
 *
 * Server CPU per request is the server process's user+system time (all threads, /proc/<pid>/stat)
 * over the run divided by the requests answered.
 *
 * Run: `npm run bench:http [sqlite] [mariadb]` (default both; or BENCH_DIALECTS=sqlite,mariadb).
 * BENCH_QUICK=1          a short run (1,000 other users, 1 round of 2 s, 3 s POSTs, 5 s settle)
 * BENCH_OTHER_USERS      users with 10 records each besides the two named ones (default 10,000)
 * BENCH_TURN_USERS       users taking turns in the POST cell (default 5,000)
 * BENCH_SECONDS, BENCH_ROUNDS   per GET round (default 5 s, 3 rounds), BENCH_POST_SECONDS (default 10)
 * BENCH_SETTLE_SECONDS   idle wait before the RSS figure (default 15)
 * BENCH_DNS=embedded     the built-in DNS provider instead of Route53 + fake
 * BENCH_HEAP=1           also take a heap snapshot of the idle server and print its largest parts
 * BENCH_ONLY_IDLE=1      stop after the idle RSS (and heap) figures
 * BENCH_REDIS_URL        Redis for MariaDB runs (default redis://127.0.0.1:6379/12: a db index of its
 *                        own on the shared Redis; its `starchart:*` keys are deleted at the end)
 * BENCH_NODE_ARGS        extra node flags for the server (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
 * MariaDB databases are named h_bench_<pid>_<time> and dropped at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createConnection } from 'mysql2/promise';
import { Route53Provider } from '../src/adapters/dns/route53.js';
import type { DatabaseConfig } from '../src/config.js';
import { createDb, type DbHandle, ensureMysqlDatabase } from '../src/db/client.js';
import { prepareDatabase } from '../src/db/migrate.js';
import { reconcileDns } from '../src/domain/reconciler/reconcile.js';
import { silentLogger } from '../test/support/db.js';
import { FakeRoute53 } from '../test/support/fake-route53.js';
import { freePort, productionCommand } from '../test/support/process.js';
import { type RawResponse, rawRequest, startBareServer } from './support/bare.js';
import { printMachineSpeed } from './support/calibrate.js';
import { summarizeHeapSnapshot } from './support/heap-summary.js';
import { type LoadResult, load } from './support/load.js';
import { startCountProxy, statementShape } from './support/mysql-count-proxy.js';
import { type BenchSession, type Populated, populate } from './support/populate.js';
import { brkHeapMb, cpuMs, memoryMb } from './support/proc.js';
import { spawnService, type SpawnedService } from './support/server.js';

const REPO = path.resolve(import.meta.dirname, '..');
// The AWS SDK warns once per process that it will need Node 22 from 2027; not this benchmark's business.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const QUICK = process.env.BENCH_QUICK === '1';
const num = (name: string, full: number, quick: number) =>
  Number(process.env[name] ?? (QUICK ? quick : full));
const OTHERS = num('BENCH_OTHER_USERS', 10_000, 1000);
const TURN_USERS = Math.min(OTHERS, num('BENCH_TURN_USERS', 5000, 1000));
const SECONDS = num('BENCH_SECONDS', 5, 2);
const ROUNDS = num('BENCH_ROUNDS', 3, 1);
const POST_SECONDS = num('BENCH_POST_SECONDS', 10, 3);
const SETTLE = num('BENCH_SETTLE_SECONDS', 15, 5);
const DNS = process.env.BENCH_DNS === 'embedded' ? 'embedded' : 'route53';
const MYSQL = (process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const ROOT = 'starchart.test';
const SECRET = 'bench-session-secret-0123456789abcdef0123456789';
const GET_CONNECTIONS = 50;
const POST_CONNECTIONS = 10;

const args = process.argv.slice(2);
const fromEnv = (process.env.BENCH_DIALECTS ?? '').split(',').filter(Boolean);
const chosen = args.length ? args : fromEnv;
const dialects = (['sqlite', 'mariadb'] as const).filter(
  (d) => chosen.length === 0 || chosen.includes(d) || (d === 'mariadb' && chosen.includes('mysql')),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f0 = (n: number) => n.toFixed(0);
const f2 = (n: number) => n.toFixed(2);
const f3 = (n: number) => n.toFixed(3);

/** Build dist/ when it is missing or older than any file under src/ (the production command runs it). */
function ensureBuilt(): void {
  const entry = path.join(REPO, productionCommand().entry);
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
      ),
    );
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest(path.join(REPO, 'src'))) return;
  console.log('dist/ is missing or older than src/: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

/** A Redis db index nobody else's `starchart:*` keys are in. */
async function checkRedis(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const [, keys] = await r.scan('0', 'MATCH', 'starchart:*', 'COUNT', 1000);
  await r.quit();
  if (keys.length > 0)
    throw new Error(`${url} already holds starchart:* keys; set BENCH_REDIS_URL to an unused db`);
}

interface Run {
  result: LoadResult;
  cpuMs: number;
}

async function measured(pid: number, fn: () => Promise<LoadResult>): Promise<Run> {
  const c0 = cpuMs(pid);
  const result = await fn();
  return { result, cpuMs: cpuMs(pid) - c0 };
}

function summed(runs: Run[]) {
  const requests = runs.reduce((n, r) => n + r.result.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.result.requests / r.result.rps, 0);
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    rps: requests / seconds,
    cpuPerRequest: runs.reduce((n, r) => n + r.cpuMs, 0) / requests,
    p50: mid(runs.map((r) => r.result.p50)),
    p99: mid(runs.map((r) => r.result.p99)),
    bad: runs.reduce((n, r) => n + r.result.bad + r.result.errors, 0),
  };
}

async function getCell(
  svc: SpawnedService,
  name: string,
  pathname: string,
  session: BenchSession | null,
  expect: string,
): Promise<void> {
  const headers: Record<string, string> = { 'accept-encoding': 'gzip' };
  if (session) headers.cookie = session.cookie;
  const url = `${svc.url}${pathname}`;
  const sample: RawResponse = await rawRequest(url, headers);
  const text = (
    sample.headers['content-encoding'] === 'gzip' ? gunzipSync(sample.body) : sample.body
  ).toString();
  if (sample.status !== 200 || !text.includes(expect))
    throw new Error(
      `${name}: ${sample.status}, body without ${JSON.stringify(expect)}: ${text.slice(0, 300)}`,
    );
  const bare = await startBareServer(sample, pathname);
  const pid = svc.child.pid!;
  const opts = (u: string, duration: number) => ({
    url: u,
    connections: GET_CONNECTIONS,
    duration,
    headers,
  });
  try {
    await load(opts(url, Math.max(1, Math.round(SECONDS / 2)))); // warm-up
    await load(opts(bare.url, 1));
    const real: Run[] = [];
    const base: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so a slow patch of the machine falls on both.
      const order = round % 2 === 0 ? ['real', 'bare'] : ['bare', 'real'];
      for (const which of order)
        if (which === 'real') real.push(await measured(pid, () => load(opts(url, SECONDS))));
        else base.push(await measured(bare.pid, () => load(opts(bare.url, SECONDS))));
    }
    const r = summed(real);
    const b = summed(base);
    console.log(
      `${name.padEnd(30)} ${String(sample.status).padEnd(4)}${(sample.body.length / 1024).toFixed(1).padStart(6)} KB` +
        `  real ${f0(r.rps).padStart(6)} req/s p50 ${f0(r.p50).padStart(3)} p99 ${f0(r.p99).padStart(4)} ms cpu ${f3(r.cpuPerRequest)} ms/req` +
        `  | bare ${f0(b.rps).padStart(6)} req/s p99 ${f0(b.p99).padStart(3)} ms cpu ${f3(b.cpuPerRequest)} ms/req` +
        `  | real/bare: req/s ${f2(r.rps / b.rps)}, cpu/req ${(r.cpuPerRequest / b.cpuPerRequest).toFixed(1)}×` +
        (r.bad ? `  (non-2xx/3xx or errors: ${r.bad})` : ''),
    );
  } finally {
    await bare.stop();
  }
}

async function countRecords(db: DbHandle): Promise<number> {
  const n = await db.db
    .selectFrom('dns_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n.n);
}

const createForm = {
  subdomain: 'p',
  type: 'A',
  value: '192.0.2.1',
  priority: '',
  ports: '',
  course: '',
  description: '',
};

async function postCell(
  svc: SpawnedService,
  db: DbHandle,
  name: string,
  sessions: BenchSession[],
  fake: FakeRoute53 | undefined,
): Promise<void> {
  const url = `${svc.url}/dns-records/new`;
  const opts = (duration: number) => ({
    url,
    connections: POST_CONNECTIONS,
    duration,
    form: createForm,
    sessions: sessions.map((s) => ({ cookie: s.cookie, csrf: s.csrf })),
  });
  await load(opts(2)); // warm-up
  const before = await countRecords(db);
  const list0 = fake?.stats.list ?? 0;
  const change0 = fake?.stats.change ?? 0;
  const run = await measured(svc.child.pid!, () => load(opts(POST_SECONDS)));
  const created = (await countRecords(db)) - before;
  // A whole-zone pass lists every record set (~350 List calls for 100,000 of them).
  const r53 = fake
    ? `; Route53 calls meanwhile: List ${fake.stats.list - list0}, Change ${fake.stats.change - change0}`
    : '';
  const r = run.result;
  console.log(
    `${name.padEnd(30)} ${f0(r.rps).padStart(6)} req/s p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms  cpu ${f3(run.cpuMs / r.requests)} ms/req` +
      `  created ${created} of ${r.requests} requests, non-2xx/3xx ${r.bad}, errors ${r.errors}${r53}`,
  );
}

async function heapSnapshot(svc: SpawnedService, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  svc.child.kill('SIGUSR2');
  let file: string | undefined;
  let lastSize = -1;
  for (let i = 0; i < 600; i++) {
    await sleep(250);
    file ??= readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = statSync(path.join(dir, file)).size;
    if (size > 0 && size === lastSize) break;
    lastSize = size;
  }
  if (!file) return void console.log('heap snapshot: none written');
  for (const line of summarizeHeapSnapshot(path.join(dir, file))) console.log(line);
  rmSync(path.join(dir, file), { force: true });
}

/** Statements and round trips per request on MariaDB, through the counting proxy (not timed). */
async function countStatements(
  dbName: string,
  env: Record<string, string>,
  dir: string,
  pop: Populated,
): Promise<void> {
  const target = new URL(MYSQL);
  const proxy = await startCountProxy(target.hostname, Number(target.port || 3306));
  const port = await freePort();
  const svc = await spawnService(
    {
      ...env,
      PORT: String(port),
      DNS_SERVER_PORT: String(await freePort()),
      DATABASE_URL: `mysql://${target.username || 'root'}@127.0.0.1:${proxy.port}/${dbName}`,
    },
    dir,
  );
  try {
    await sleep(3000);
    const post = (s: BenchSession, i: number) =>
      fetch(`${svc.url}/dns-records/new`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          ...createForm,
          subdomain: `count${i}`,
          _csrf: s.csrf,
        }).toString(),
      });
    const N = 40;
    const report = async (label: string, fn: (i: number) => Promise<Response>) => {
      for (let i = 0; i < 3; i++) await (await fn(1000 + i)).arrayBuffer(); // warm: pool connections
      await sleep(1500);
      proxy.reset();
      for (let i = 0; i < N; i++) await (await fn(i)).arrayBuffer();
      const during = proxy.commands.length;
      const bytes = proxy.bytesFromServer;
      await sleep(2000); // background work the requests set off (reconciler, jobs)
      const all = [...proxy.commands];
      const byType = new Map<string, number>();
      for (const c of all.slice(0, during)) byType.set(c.command, (byType.get(c.command) ?? 0) + 1);
      console.log(
        `${label}: ${f2(during / N)} commands (round trips) per request while answering [${[
          ...byType,
        ]
          .map(([k, v]) => `${k} ${f2(v / N)}`)
          .join(
            ', ',
          )}], ${(bytes / N / 1024).toFixed(1)} KB of results; + ${f2((all.length - during) / N)} per request in the 2 s after`,
      );
      const shapes = new Map<string, number>();
      for (const c of all) {
        const key = c.sql === null ? c.command : statementShape(c.sql).slice(0, 150);
        shapes.set(key, (shapes.get(key) ?? 0) + 1);
      }
      for (const [shape, n] of [...shapes].sort((a, b) => b[1] - a[1]))
        console.log(`    ${f2(n / N).padStart(6)}× ${shape}`);
    };
    await report('GET /dns-records (10 records)', () =>
      fetch(`${svc.url}/dns-records`, { headers: { cookie: pop.small.cookie } }),
    );
    await report('GET /dns-records (5,000 records)', () =>
      fetch(`${svc.url}/dns-records`, { headers: { cookie: pop.big.cookie } }),
    );
    await report('POST create, one user', (i) => post(pop.small, i));
    await report(`POST create, ${N} users in turn`, (i) =>
      post(pop.others[i % pop.others.length]!, i),
    );
  } finally {
    svc.child.kill('SIGTERM');
    if (svc.child.exitCode === null) await new Promise((r) => svc.child.once('exit', r));
    await proxy.stop();
  }
}

async function runDialect(dialect: 'sqlite' | 'mariadb'): Promise<void> {
  if (dialect === 'mariadb') await checkRedis(REDIS);
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-http-'));
  const dbName = `h_bench_${process.pid}_${Date.now().toString(36)}`;
  const dbConfig: DatabaseConfig =
    dialect === 'sqlite'
      ? { dialect: 'sqlite', file: path.join(dir, 'bench.sqlite'), url: '' }
      : { dialect: 'mysql', url: `${MYSQL}/${dbName}`, database: dbName };
  if (dbConfig.dialect === 'sqlite') dbConfig.url = `sqlite:${dbConfig.file}`;
  else await ensureMysqlDatabase(dbConfig.url);
  const handle = await createDb(dbConfig);
  let fake: FakeRoute53 | undefined;
  let svc: SpawnedService | undefined;
  try {
    await prepareDatabase(handle, { wipe: false, logger: silentLogger });
    const pop = await populate(handle.db, {
      smallRecords: 10,
      bigRecords: 5000,
      others: OTHERS,
      perUser: 10,
      sessions: TURN_USERS,
      secret: SECRET,
    });
    console.log(
      `\n### ${dialect === 'sqlite' ? 'SQLite (embedded: in-process jobs, memory rate limiter)' : `MariaDB + Redis (BullMQ, Redis rate limiter; database ${dbName}, ${REDIS})`}`,
    );
    console.log(
      `populated: ${pop.users} users, ${pop.records} records (10, 5,000, and ${OTHERS} × 10), ${TURN_USERS + 2} sessions in ${pop.seconds.toFixed(1)} s`,
    );
    const env: Record<string, string> = {
      ROOT_DOMAIN: ROOT,
      DATA_DIR: dir,
      DATABASE_URL: dbConfig.url,
      SECRETS_OVERRIDE: '1',
      SESSION_SECRET: SECRET,
      // The limit check runs on every create, but never refuses here.
      USER_DNS_RECORD_LIMIT: '1000000',
      API_RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
      API_RATE_LIMIT_USER_PER_MINUTE: '10000000',
      API_RATE_LIMIT_WRITES_PER_HOUR: '10000000',
      DNS_PROVIDER: DNS,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(dialect === 'mariadb' ? { REDIS_URL: REDIS } : {}),
    };
    if (DNS === 'route53') {
      fake = new FakeRoute53({ origin: ROOT, insyncDelayMs: 200, maxRecordSetsInZone: 0 });
      await fake.start();
      Object.assign(env, {
        AWS_ROUTE53_HOSTED_ZONE_ID: fake.zoneId,
        AWS_ROUTE53_ENDPOINT: fake.endpoint,
      });
      // The zone as production has it: everything already published, records live.
      const t0 = performance.now();
      await reconcileDns(
        {
          db: handle.db,
          provider: new Route53Provider({
            hostedZoneId: fake.zoneId,
            region: 'us-east-1',
            endpoint: fake.endpoint,
            requestsPerSecond: 0,
            accessKeyId: 'test',
            secretAccessKey: 'test',
          }),
          clock: { now: () => Date.now() },
          logger: silentLogger,
          rootDomain: ROOT,
        },
        'full',
      );
      console.log(
        `fake Route53 holds ${fake.sets.size} record sets (published in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
      fake.resetStats();
    }
    const nodeArgs = process.env.BENCH_HEAP === '1' ? ['--heapsnapshot-signal=SIGUSR2'] : [];
    const prevArgs = process.env.BENCH_NODE_ARGS;
    process.env.BENCH_NODE_ARGS = [prevArgs ?? '', ...nodeArgs].join(' ');
    svc = await spawnService(
      { ...env, PORT: String(await freePort()), DNS_SERVER_PORT: String(await freePort()) },
      dir,
    );
    process.env.BENCH_NODE_ARGS = prevArgs ?? '';
    const pid = svc.child.pid!;
    const startCpu = cpuMs(pid);
    const early = memoryMb(pid);
    // The start-up pass (recover: a full reconcile) lists the whole zone; wait until it has stopped.
    let startupPass = '';
    if (fake) {
      const t0 = performance.now();
      // It starts as a job (BullMQ's may start seconds after /healthcheck answers): wait for List calls
      // to begin (up to 90 s), then for them to stop.
      let last = -1;
      for (;;) {
        await sleep(3000);
        const list = fake.stats.list;
        const elapsed = performance.now() - t0;
        if ((list > 0 && list === last) || (list === 0 && elapsed > 90_000) || elapsed > 300_000)
          break;
        last = list;
      }
      startupPass = `; start-up pass at the fake: List ${fake.stats.list}, Change ${fake.stats.change}, over ~${f0((performance.now() - t0) / 1000 - 3)} s`;
    }
    const settleCpu = cpuMs(pid);
    await sleep(SETTLE * 1000);
    const idleCpu = (cpuMs(pid) - settleCpu) / SETTLE;
    const idle = memoryMb(pid);
    console.log(
      `server: ${svc.runtime === 'dist' ? `${productionCommand().flags.join(' ')} ${productionCommand().entry} (production command)` : 'tsx (no build!)'}, DNS provider ${DNS === 'route53' ? 'Route53 (fake, in the bench process)' : 'built-in'}; healthy after ${f0(svc.healthyAfterMs)} ms`,
    );
    console.log(
      `idle RSS on the populated database: ${idle.rss.toFixed(1)} MB, ${SETTLE} s after start-up work ended (anon ${idle.anon.toFixed(1)} of which malloc brk heap ${brkHeapMb(pid).toFixed(1)}, file ${idle.file.toFixed(1)}); at healthy ${early.rss.toFixed(1)} MB; CPU since healthy ${f0(cpuMs(pid) - startCpu)} ms${startupPass}; idle CPU ${f0(idleCpu)} ms/s`,
    );
    if (process.env.BENCH_HEAP === '1') {
      await heapSnapshot(svc, dir);
      await sleep(5000);
      console.log(
        `RSS 5 s after the heap snapshot (which collects garbage first): ${memoryMb(pid).rss.toFixed(1)} MB (anon ${memoryMb(pid).anon.toFixed(1)})`,
      );
    }
    if (process.env.BENCH_ONLY_IDLE === '1') return;

    console.log(
      `\nGET, ${GET_CONNECTIONS} connections, gzip, ab -k; ${ROUNDS} round(s) of ${SECONDS} s each, alternating with the bare server; p50/p99 are medians over rounds`,
    );
    await getCell(svc, 'records page, 10 records', '/dns-records', pop.small, 'host9');
    await getCell(svc, 'records page, 5,000 records', '/dns-records', pop.big, 'OSD700');
    await getCell(svc, '/healthcheck', '/healthcheck', null, 'ok');
    await getCell(svc, '/login', '/login', null, '<form');

    console.log(
      `\nPOST /dns-records/new (form, CSRF, limit check, insert, audit, DNS change), ${POST_CONNECTIONS} connections, ${POST_SECONDS} s, wrk`,
    );
    await postCell(svc, handle, 'create, one user', [pop.small], fake);
    await postCell(svc, handle, `create, ${TURN_USERS} users in turn`, pop.others, fake);
    const after = memoryMb(pid);
    console.log(`RSS after the load: ${after.rss.toFixed(1)} MB`);
    svc.child.kill('SIGTERM');
    if (svc.child.exitCode === null) await new Promise((r) => svc!.child.once('exit', r));
    svc = undefined;

    if (dialect === 'mariadb') {
      console.log('\nStatements per request (MariaDB, through a counting proxy; not timed)');
      await countStatements(dbName, env, dir, pop);
    }
  } finally {
    if (svc) {
      svc.child.kill('SIGTERM');
      if (svc.child.exitCode === null) await new Promise((r) => svc!.child.once('exit', r));
    }
    await fake?.stop();
    await handle.close();
    if (dialect === 'mariadb') {
      const conn = await createConnection({ uri: MYSQL });
      await conn.query(`drop database if exists \`${dbName}\``);
      await conn.end();
      const { deleteRedisKeys } = await import('../src/adapters/queue/bullmq.js');
      await deleteRedisKeys(REDIS, 'starchart');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

ensureBuilt();
printMachineSpeed();
console.log(
  `populated database: a user with 10 records, one with 5,000, ${OTHERS} others with 10 each${QUICK ? ' (BENCH_QUICK)' : ''}`,
);
for (const d of dialects) await runDialect(d);
printMachineSpeed();
process.exit(0);
