/**
 * dyndns2 `nochg` answers per second (prints figures; asserts nothing): a router polling with an
 * unchanged address, `GET /nic/update?hostname=home.{user}.{root}&myip=…` with HTTP Basic and a token,
 * at 10 connections, on
 *
 *   1. the embedded default: SQLite, in-process jobs, the built-in DNS server;
 *   2. the production path: the built dist/ (`npm run build`) run by `npm run start:prod`'s command,
 *      MariaDB + Redis (rate-limit counters in Redis), a populated database.
 *
 * Beside each, in the same window (bare, app, bare), a bare Node http server in its own process sends the
 * same bytes (the app's status line, headers and body, captured from it): the machine's ceiling for that
 * answer. The target is ≥5,000 answers/s. Rate limits are raised so the run measures answers, not
 * `abuse` (the counters are still taken on every request). It also checks that the window wrote nothing:
 * SQLite's data_version (changes when another connection commits) and, on both, the user's records, the
 * audit log, the token row and the zone change log, before and after.
 *
 *   npx tsx bench/dyndns2.ts [sqlite|mysql …]   BENCH_SECONDS (default 10), BENCH_USERS (default 2000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { createDb, type Db, type DbHandle } from '../src/db/client.js';
import type { User } from '../src/db/schema.js';
import { createToken } from '../src/domain/tokens/tokens.js';
import { insertUser } from '../test/support/factories.js';
import { printMachineSpeed } from './support/calibrate.js';
import { type LoadResult, load } from './support/load.js';
import { spawnService, startServerProcess } from './support/server.js';

const ROOT = 'starchart.test';
const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const USERS = Number(process.env.BENCH_USERS ?? 2000);
const CONNECTIONS = 10;
const LIMITS = {
  API_RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
  API_RATE_LIMIT_USER_PER_MINUTE: '10000000',
};
const sections = process.argv.slice(2);
const want = (s: string) => sections.length === 0 || sections.includes(s);

/** Users with records and some with tokens, so lookups run against a database of realistic size. */
async function populate(db: Db, users: number): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < users; start += 200) {
    const batch: User[] = [];
    for (let i = start; i < Math.min(users, start + 200); i++) batch.push(await insertUser(db));
    const rows = batch.flatMap((u) =>
      Array.from({ length: 10 }, (_, i) => ({
        user_id: u.id,
        subdomain: `host${i}`,
        type: 'A' as const,
        value: `10.${i}.${u.id % 250}.${(u.id >> 8) % 250}`,
        priority: null,
        ports: null,
        course: null,
        description: null,
        expires_at: now + 1e10,
        reminders_sent: '[]',
        status: 'live' as const,
        status_message: null,
        change_id: null,
        status_at: now,
        created_at: now,
        updated_at: now,
      })),
    );
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('dns_records')
        .values(rows.slice(i, i + 500))
        .execute();
    for (const u of batch.filter((_, i) => i % 4 === 0)) await tokenFor(db, u);
  }
}

function tokenFor(db: Db, user: User) {
  return createToken(
    {
      db,
      clock: { now: () => Date.now() },
      config: {
        tokens: { maxDays: 365 } as never,
        sessionSecret: 'bench-token-seal-secret-0123456789abcdef',
        previousSessionSecrets: [],
        rootDomain: ROOT,
      },
    },
    { user, effectiveUser: user, requestId: null },
    {
      name: 'router',
      expiresInDays: 30,
      permissions: ['records:write'],
      names: ['home'],
      types: [],
      subnets: [],
    },
  );
}

/** One GET as raw bytes: status, headers (as sent) and body. */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; rawHeaders: string[]; body: string }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body }),
        );
      })
      .on('error', reject);
  });
}

/** A bare node:http server in its own process answering every request with exactly these bytes. */
async function bareServer(
  status: number,
  rawHeaders: string[],
  body: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  // Node adds Date, Connection and Keep-Alive itself, as it does for the app.
  const skip = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
  const headers: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (!skip.has(rawHeaders[i]!.toLowerCase())) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  const script = `
    const http = require('node:http');
    const { status, headers, body } = JSON.parse(process.env.BARE);
    const flat = headers.flat();
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(status, flat);
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    env: { BARE: JSON.stringify({ status, headers, body }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/** What a write by the poll would change: the user's records, audit rows, the token, the zone log. */
async function fingerprint(db: Db, userId: number): Promise<string> {
  const records = await db
    .selectFrom('dns_records')
    .select(['id', 'value', 'expires_at', 'updated_at'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
  const count = async (table: 'audit_log' | 'dns_zone_changes' | 'acme_challenges') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const tokens = await db
    .selectFrom('api_tokens')
    .select(['id', 'last_used_at', 'last_used_ip'])
    .where('user_id', '=', userId)
    .execute();
  return JSON.stringify({
    records,
    audit: await count('audit_log'),
    zone: await count('dns_zone_changes'),
    challenges: await count('acme_challenges'),
    tokens,
  });
}

const dataVersion = async (db: Db) =>
  Number(
    (await sql<{ data_version: number }>`pragma data_version`.execute(db)).rows[0]!.data_version,
  );

const fmt = (r: LoadResult) =>
  `${r.rps.toFixed(0).padStart(6)} answers/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  non-2xx ${r.bad}  errors ${r.errors}`;

async function run(
  label: string,
  url: string,
  runtime: string,
  handle: DbHandle,
  dialect: 'sqlite' | 'mysql',
): Promise<void> {
  const db = handle.db;
  const t0 = performance.now();
  await populate(db, USERS);
  const user = await insertUser(db);
  const token = await tokenFor(db, user);
  const seeded = ((performance.now() - t0) / 1000).toFixed(1);
  const auth = `Basic ${Buffer.from(`${user.username}:${token.secret}`).toString('base64')}`;
  const target = `${url}/nic/update?hostname=home.${user.dns_label}.${ROOT}&myip=192.0.2.77`;
  const first = await rawGet(target, { authorization: auth });
  const again = await rawGet(target, { authorization: auth });
  if (!first.body.startsWith('good ') || !again.body.startsWith('nochg '))
    throw new Error(
      `unexpected answers: ${first.status} ${first.body} / ${again.status} ${again.body}`,
    );
  const bare = await bareServer(again.status, again.rawHeaders, again.body);
  const bareTarget = bare.url + target.slice(url.length);
  const headers = { authorization: auth };
  let bare1: LoadResult, app: LoadResult, bare2: LoadResult, health: LoadResult;
  let before: string, after: string;
  let versionBefore: number | null, versionAfter: number | null;
  try {
    await load({ url: target, connections: CONNECTIONS, duration: 2, headers }); // warm-up
    await load({ url: bareTarget, connections: CONNECTIONS, duration: 2, headers });

    before = await fingerprint(db, user.id);
    versionBefore = dialect === 'sqlite' ? await dataVersion(db) : null;
    bare1 = await load({ url: bareTarget, connections: CONNECTIONS, duration: SECONDS, headers });
    app = await load({ url: target, connections: CONNECTIONS, duration: SECONDS, headers });
    health = await load({
      url: `${url}/healthcheck`,
      connections: CONNECTIONS,
      duration: SECONDS,
    });
    bare2 = await load({ url: bareTarget, connections: CONNECTIONS, duration: SECONDS, headers });
    after = await fingerprint(db, user.id);
    versionAfter = dialect === 'sqlite' ? await dataVersion(db) : null;
  } finally {
    await bare.stop();
  }
  const last = await rawGet(target, { authorization: auth });

  const bareMean = (bare1.rps + bare2.rps) / 2;
  console.log(
    `\n## ${label}: GET /nic/update nochg, ${CONNECTIONS} connections, ${SECONDS} s each (server: ${runtime}, load: ${app.tool}; ${USERS} users × 10 records + 1 token per 4 users seeded in ${seeded} s)`,
  );
  console.log(`answer: ${again.status} ${JSON.stringify(again.body)} (${again.body.length} bytes)`);
  console.log(`bare Node, before: ${fmt(bare1)}`);
  console.log(
    `app:               ${fmt(app)}   = ${((app.rps / bareMean) * 100).toFixed(0)}% of bare`,
  );
  console.log(
    `app /healthcheck:  ${fmt(health)}   (the app's floor: middleware + HTTP, no token, no query)`,
  );
  console.log(`bare Node, after:  ${fmt(bare2)}`);
  console.log(
    `target ≥5,000 answers/s: ${app.rps >= 5000 ? 'met' : 'NOT met'}; writes during the app window: ${
      before === after && versionBefore === versionAfter ? 'none' : 'SOME'
    } (records, audit log, token row, zone log compared${dialect === 'sqlite' ? `; SQLite data_version ${versionBefore} → ${versionAfter}` : ''}); last answer: ${JSON.stringify(last.body)}`,
  );
}

printMachineSpeed();

if (want('sqlite')) {
  const srv = await startServerProcess(LIMITS, ROOT);
  try {
    await run('SQLite (embedded default)', srv.url, srv.runtime, srv.db, 'sqlite');
  } finally {
    await srv.stop();
  }
}

if (want('mysql')) {
  const name = `starchart_bench_dyndns_${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
  const dbUrl = `${MYSQL}/${name}`;
  const svc = await spawnService(
    {
      ...LIMITS,
      ROOT_DOMAIN: ROOT,
      DATA_DIR: dir,
      DATABASE_URL: dbUrl,
      REDIS_URL: REDIS,
      SECRETS_OVERRIDE: '1',
      SESSION_SECRET: 'bench-session-secret-0123456789abcdef0123456789',
    },
    dir,
  );
  const handle = await createDb({ dialect: 'mysql', url: dbUrl, database: name });
  try {
    await run('MariaDB + Redis (production command)', svc.url, svc.runtime, handle, 'mysql');
  } finally {
    svc.child.kill('SIGTERM');
    if (svc.child.exitCode === null) await new Promise((r) => svc.child.once('exit', r));
    await handle.close();
    const conn = await createConnection({ uri: MYSQL });
    await conn.query(`drop database if exists \`${name}\``);
    await conn.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
