/**
 * Cold start to first healthy /healthcheck, idle RSS, and /healthcheck throughput at 50 connections,
 * for the embedded default (SQLite, in-process jobs) and for MariaDB + Redis.
 * Run: npx tsx bench/startup.ts   (uses the built dist/ when present, else TypeScript through tsx)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { load } from './support/load.js';
import { printMachineSpeed } from './support/calibrate.js';
import { spawnService } from './support/server.js';

printMachineSpeed();

const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function measure(
  label: string,
  env: Record<string, string>,
  cwdIn?: string,
): Promise<string> {
  const cwd = cwdIn ?? mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
  const svc = await spawnService(env, cwd);
  const rss = () => svc.rss() / 1048576;
  // Right after start-up the heap still holds start-up garbage; V8's memory reducer releases it once the
  // process has been idle for a few seconds. Both figures are printed; "idle" is the settled one.
  await new Promise((r) => setTimeout(r, 3000));
  const rssEarlyMb = rss();
  await new Promise((r) => setTimeout(r, 12_000));
  const rssMb = rss();
  const url = `${svc.url}/healthcheck`;
  await load({ url, connections: 50, duration: 2 }); // warm-up
  const result = await load({ url, connections: 50, duration: 5 });
  svc.child.kill('SIGTERM');
  await new Promise((r) => svc.child.on('exit', r));
  console.log(
    `${label.padEnd(22)} ${svc.runtime.padEnd(4)}  healthy after ${svc.healthyAfterMs.toFixed(0).padStart(5)} ms` +
      `  RSS at 3 s ${rssEarlyMb.toFixed(1).padStart(6)} MB, idle (15 s) ${rssMb.toFixed(1).padStart(6)} MB  /healthcheck ${result.rps.toFixed(0).padStart(6)} req/s` +
      `  p99 ${result.p99.toFixed(1)} ms  errors ${result.errors + result.bad} (${result.tool})`,
  );
  return cwd;
}

const db = `starchart_bench_${process.pid}`;
// First start creates the schema and development keys; the restart is the everyday case.
const dir = await measure('embedded, first start', {});
await measure('embedded, restart', {}, dir);
const dir2 = await measure('MariaDB+Redis, first', {
  DATABASE_URL: `${MYSQL}/${db}`,
  REDIS_URL: REDIS,
});
await measure('MariaDB+Redis, restart', { DATABASE_URL: `${MYSQL}/${db}`, REDIS_URL: REDIS }, dir2);
const conn = await createConnection({ uri: MYSQL });
await conn.query(`drop database if exists \`${db}\``);
await conn.end();
