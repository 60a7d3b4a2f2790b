/**
 * The service under test as its own process, the way it runs in production: `npm run start:prod`'s
 * command (node, its flags, dist/src/main.js) when the build exists (npm run build), else TypeScript through tsx (slower: dev JSX runtime, loader
 * hooks). The benchmark seeds the same database directly and mints sessions with the same secret.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, type DbHandle } from '../../src/db/client.js';
import { createSession } from '../../src/domain/sessions/sessions.js';
import { productionCommand } from '../../test/support/process.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The production command (npm run start:prod): its node flags and its entry point. */
const PRODUCTION = productionCommand();
const BUILT = path.join(ROOT, PRODUCTION.entry);
const SECRET = 'bench-session-secret-0123456789abcdef0123456789';
let nextPort = 18_600;

export interface ServerProcess {
  url: string;
  runtime: 'dist' | 'tsx';
  db: DbHandle;
  child: ChildProcess;
  /** Resident memory of the server process now, in bytes. */
  rss(): number;
  /** Peak RSS sampler: call to start, call the returned function to stop and read the peak (bytes). */
  sampleRss(): () => number;
  signIn(userId: number): Promise<{ cookie: string; csrf: string }>;
  stop(): Promise<void>;
}

export interface SpawnedService {
  child: ChildProcess;
  url: string;
  runtime: 'dist' | 'tsx';
  /** From spawn to the first 200 from /healthcheck. */
  healthyAfterMs: number;
  /** Resident memory of the process now, in bytes. */
  rss: () => number;
}

/**
 * Start the production command (or src/main.ts through tsx when there is no build) in `cwd` on the
 * next free bench port, with a minimal environment plus `env`, and wait for /healthcheck to answer 200.
 * BENCH_NODE_ARGS adds node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
 */
export async function spawnService(
  env: Record<string, string>,
  cwd: string,
  stdout: 'inherit' | 'ignore' = 'ignore',
): Promise<SpawnedService> {
  // env.PORT: a port the caller chose (e.g. a free one, when other benchmarks may run at once).
  const port = env.PORT ? Number(env.PORT) : nextPort++;
  const runtime = existsSync(BUILT) ? 'dist' : 'tsx';
  const args =
    runtime === 'dist'
      ? [...PRODUCTION.flags, BUILT]
      : [
          '--import',
          path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs'),
          path.join(ROOT, 'src', 'main.ts'),
        ];
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DNS_SERVER_PORT: String(port + 1000),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthcheck`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (performance.now() - started > 30_000) {
      child.kill('SIGKILL');
      throw new Error('server not healthy within 30 s');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const healthyAfterMs = performance.now() - started;
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
  return { child, url, runtime, healthyAfterMs, rss };
}

/** The service on a fresh SQLite database that this process can also open, with sessions it can mint. */
export async function startServerProcess(
  env: Record<string, string> = {},
  rootDomain = 'starchart.test',
): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-bench-'));
  const file = path.join(dir, 'bench.sqlite');
  const { child, url, runtime, rss } = await spawnService(
    {
      ROOT_DOMAIN: rootDomain,
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${file}`,
      SECRETS_OVERRIDE: '1',
      SESSION_SECRET: SECRET,
      ...env,
    },
    dir,
    process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore',
  );
  const db = await createDb({ dialect: 'sqlite', file, url: `sqlite:${file}` });
  return {
    url,
    runtime,
    db,
    child,
    rss,
    sampleRss() {
      let peak = rss();
      const t = setInterval(() => (peak = Math.max(peak, rss())), 100);
      return () => {
        clearInterval(t);
        return peak;
      };
    },
    async signIn(userId) {
      const s = await createSession(
        db.db,
        { secret: SECRET, idleTimeoutMs: 8 * 3_600_000, absoluteTimeoutMs: 24 * 3_600_000 },
        userId,
        Date.now(),
      );
      return { cookie: `__session=${s.cookie}`, csrf: s.csrfToken };
    },
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
