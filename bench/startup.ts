/**
 * Cold start to first healthy /healthcheck, idle RSS, and /healthcheck throughput at 50 connections,
 * for the embedded default (SQLite, in-process jobs) and for MariaDB + Redis.
 * Run: npx tsx bench/startup.ts   (uses the built dist/ when present, else TypeScript through tsx)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { load } from './support/load.js';
import { printMachineSpeed } from './support/calibrate.js';

printMachineSpeed();

const ROOT = path.resolve(import.meta.dirname, '..');
const BUILT = path.join(ROOT, 'dist', 'src', 'main.js');
const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let port = 18_400;

async function measure(
  label: string,
  env: Record<string, string>,
  cwdIn?: string,
): Promise<string> {
  const p = port++;
  const args = existsSync(BUILT)
    ? [BUILT]
    : [
        '--import',
        path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs'),
        path.join(ROOT, 'src', 'main.ts'),
      ];
  const cwd = cwdIn ?? mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      PORT: String(p),
      LOG_LEVEL: 'warn',
      DNS_SERVER_PORT: String(p + 1000),
      NODE_ENV: 'development',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let healthyMs = NaN;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${p}/healthcheck`);
      if (res.status === 200) {
        healthyMs = performance.now() - started;
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (performance.now() - started > 30_000) throw new Error(`${label}: not healthy within 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  // Right after start-up the heap still holds start-up garbage; V8's memory reducer releases it once the
  // process has been idle for a few seconds. Both figures are printed; "idle" is the settled one.
  await new Promise((r) => setTimeout(r, 3000));
  const rssEarlyMb = rss();
  await new Promise((r) => setTimeout(r, 12_000));
  const rssMb = rss();
  const url = `http://127.0.0.1:${p}/healthcheck`;
  await load({ url, connections: 50, duration: 2 }); // warm-up
  const result = await load({ url, connections: 50, duration: 5 });
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  console.log(
    `${label.padEnd(22)} ${existsSync(BUILT) ? 'dist' : 'tsx '}  healthy after ${healthyMs.toFixed(0).padStart(5)} ms` +
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
