/**
 * REST API record create (POST /api/v1/records, JSON, bearer token) at 10 connections, with many users
 * each using their own token in turn (so per-user locking does not serialise the run), on a populated
 * database; each figure is printed beside a bare Node http server answering the same response bytes
 * in the same window (wrk, same script), and their ratio. Prints figures; never asserts.
 *
 * Run: `npm run bench:api [sqlite] [mariadb]` (default: both). Uses dist/ when built (`npm run build`:
 * the production command, as `npm run start:prod` runs it), else TypeScript through tsx.
 *   sqlite   the embedded default: SQLite, in-process jobs, memory rate limiter
 *   mariadb  MariaDB + Redis (BullMQ, Redis rate limiter: the production path)
 * BENCH_API_USERS (default 3000) users with BENCH_API_RECORDS (default 5) records each; tokens for
 * BENCH_API_TOKENS (default 1000) of them; BENCH_API_SECONDS (default 10) per measurement.
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { type Db, createDb, ensureMysqlDatabase } from '../src/db/client.js';
import { createToken } from '../src/domain/tokens/tokens.js';
import { printMachineSpeed } from './support/calibrate.js';
import { hasWrk, runWrk } from './support/load.js';
import { recordInserter } from './support/populate.js';
import { spawnService, startServerProcess } from './support/server.js';

const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
// A database index of its own on the shared Redis: no key of this run meets another process's.
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/11';
const USERS = Number(process.env.BENCH_API_USERS ?? 3000);
const RECORDS = Number(process.env.BENCH_API_RECORDS ?? 5);
const TOKENS = Math.min(USERS, Number(process.env.BENCH_API_TOKENS ?? 1000));
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = 10;
const ROOT = 'starchart.test';
const sections = process.argv.slice(2);
const want = (s: string) => sections.length === 0 || sections.includes(s);

// Limits stay on (their cost is part of the figure) but high enough never to refuse.
const SERVICE_ENV = {
  ROOT_DOMAIN: ROOT,
  USER_DNS_RECORD_LIMIT: '100000',
  API_RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
  API_RATE_LIMIT_USER_PER_MINUTE: '10000000',
  API_RATE_LIMIT_WRITES_PER_HOUR: '10000000',
};

/** Thousands of users with records, and a token for the first `tokens` of them. */
async function populate(db: Db, label: string): Promise<string[]> {
  const t0 = performance.now();
  const now = Date.now();
  const tag = `${label}${process.pid.toString(36)}`;
  for (let i = 0; i < USERS; i += 500) {
    const batch = Array.from({ length: Math.min(500, USERS - i) }, (_, j) => ({
      username: `api${tag}u${i + j}`,
      dns_label: `api${tag}u${i + j}`,
      display_name: 'bench',
      email: `api${tag}u${i + j}@example.edu`,
      groups: '[]',
      role: 'student' as const,
      suspended_at: null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    }));
    await db.insertInto('users').values(batch).execute();
  }
  const users = await db
    .selectFrom('users')
    .selectAll()
    .where('username', 'like', `api${tag}u%`)
    .orderBy('id')
    .execute();
  const inserter = recordInserter(db, 500, { course: null, description: null });
  for (const u of users)
    for (let k = 0; k < RECORDS; k++)
      await inserter.add(u.id, `seed${k}`, `10.0.${k}.${u.id % 250}`);
  await inserter.flush();
  const deps = {
    db,
    clock: { now: () => Date.now() },
    config: {
      tokens: { maxDays: 365 },
      sessionSecret: 'bench-token-seal-secret-0123456789abcdef',
      previousSessionSecrets: [],
      rootDomain: ROOT,
    } as never,
  };
  const secrets: string[] = [];
  for (const u of users.slice(0, TOKENS)) {
    const created = await createToken(
      deps,
      { user: u, effectiveUser: u, requestId: null },
      {
        name: 'bench',
        expiresInDays: 30,
        permissions: ['records:write'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    secrets.push(created.secret);
  }
  console.log(
    `populated: ${users.length} users × ${RECORDS} records, ${secrets.length} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return secrets;
}

const lua = (s: string) => JSON.stringify(s);

/** wrk POSTing a new record per request, each with the next token in turn. */
async function wrkCreate(url: string, tokens: string[], seconds: number) {
  const prefix = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
  const r = await runWrk({
    url,
    connections: CONNECTIONS,
    seconds,
    script: `local tokens = {${tokens.map(lua).join(', ')}}
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]
  local body = '{"name":"b${prefix}x' .. counter .. '","type":"A","value":"192.0.2.1"}'
  return wrk.format(nil, nil, nil, body)
end`,
  });
  return { ...r, rps: r.requests / r.seconds };
}

/** A bare node:http server (own process) that reads the body and answers `bytes` as given. */
async function bareServer(
  status: number,
  headers: Record<string, string>,
  body: string,
): Promise<{ url: string; child: ChildProcess }> {
  const code = `
const http = require('node:http');
const body = Buffer.from(${lua(body)});
const headers = ${JSON.stringify(headers)};
http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(${status}, { ...headers, 'content-length': body.length }); res.end(body); });
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}/api/v1/records`, child };
}

async function measure(label: string, baseUrl: string, tokens: string[], db: Db) {
  const url = `${baseUrl}/api/v1/records`;
  // One real answer: its status, headers and bytes are what the bare server sends.
  const sample = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `sample${Date.now()}`, type: 'A', value: '192.0.2.1' }),
  });
  const sampleBody = await sample.text();
  if (sample.status !== 201) throw new Error(`sample create: ${sample.status} ${sampleBody}`);
  const headers: Record<string, string> = {};
  sample.headers.forEach((v, k) => {
    if (!['content-length', 'date', 'connection', 'keep-alive'].includes(k)) headers[k] = v;
  });
  const count = async () =>
    Number(
      (
        await db
          .selectFrom('dns_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  await wrkCreate(url, tokens, 2); // warm-up
  const before = await count();
  const api = await wrkCreate(url, tokens, SECONDS);
  const created = (await count()) - before;
  const bare = await bareServer(201, headers, sampleBody);
  const base = await wrkCreate(bare.url, tokens, SECONDS);
  bare.child.kill('SIGTERM');
  console.log(
    `${label}: ${api.rps.toFixed(0)} req/s (p50 ${api.p50.toFixed(1)} ms, p99 ${api.p99.toFixed(1)} ms, records created ${created} of ${api.requests}, non-2xx ${api.bad}, errors ${api.errors})` +
      `  | bare node:http same bytes: ${base.rps.toFixed(0)} req/s  | ratio ${(api.rps / base.rps).toFixed(2)}`,
  );
}

if (!hasWrk()) throw new Error('bench/api.ts needs wrk (apt-get install wrk)');
printMachineSpeed();
console.log(
  `\n## POST /api/v1/records (JSON, bearer token; auth + rate limit + scope + limit check + insert + audit + DNS change mark), ${CONNECTIONS} connections, ${SECONDS} s, ${TOKENS} users' tokens in turn`,
);

if (want('sqlite')) {
  const srv = await startServerProcess(SERVICE_ENV, ROOT);
  const tokens = await populate(srv.db.db, 's');
  await measure(`SQLite, in-process jobs (server: ${srv.runtime})`, srv.url, tokens, srv.db.db);
  await srv.stop();
}

if (want('mariadb')) {
  const name = `zapibench_${process.pid}_${Date.now().toString(36)}`;
  const dbUrl = `${MYSQL}/${name}`;
  const cwd = mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
  await ensureMysqlDatabase(dbUrl);
  const svc = await spawnService({ ...SERVICE_ENV, DATABASE_URL: dbUrl, REDIS_URL: REDIS }, cwd);
  const dbh = await createDb({ dialect: 'mysql', url: dbUrl, database: name });
  try {
    const tokens = await populate(dbh.db, 'm');
    await measure(`MariaDB + Redis (server: ${svc.runtime})`, svc.url, tokens, dbh.db);
  } finally {
    svc.child.kill('SIGTERM');
    if (svc.child.exitCode === null) await new Promise((r) => svc.child.once('exit', r));
    await dbh.close();
    const conn = await createConnection({ uri: MYSQL });
    await conn.query(`drop database if exists \`${name}\``);
    await conn.end();
    rmSync(cwd, { recursive: true, force: true });
  }
}
printMachineSpeed();
process.exit(0);
