/**
 * A Redis server of the test's own, on a free loopback port, for tests that flush or restart Redis.
 * The shared Redis (TEST_REDIS_URL) is used by other test files and other checkouts at the same time:
 * never FLUSHDB it. This one keeps nothing on disk and is killed by stop() (call it in afterAll). It
 * requires a random password, so a stray process of another run that still reconnects to a port this
 * server happens to reuse cannot take its jobs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './env.js';
import { freePort } from './process.js';

export interface DedicatedRedis {
  port: number;
  url: string;
  /** FLUSHDB on this server (never the shared one). */
  flush(): Promise<void>;
  /** SIGKILL the server; restart() brings an empty one back on the same port. */
  kill(): Promise<void>;
  /** Start a new, empty server on the same port (after kill()). */
  restart(): Promise<void>;
  /** A client for assertions; closed by stop(). */
  client(): Redis;
  stop(): Promise<void>;
}

const REDIS_SERVER = 'redis-server';

export async function startDedicatedRedis(): Promise<DedicatedRedis> {
  try {
    execFileSync(REDIS_SERVER, ['--version'], { stdio: 'pipe' });
  } catch {
    throw new Error('redis-server is not installed: apt-get install redis-server');
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const url = `redis://:${password}@127.0.0.1:${port}`;
  if (new URL(TEST_REDIS_URL).port === String(port))
    throw new Error('refusing to use the shared Redis as a dedicated one');
  let child: ChildProcess | null = null;
  const clients: Redis[] = [];

  const launch = async () => {
    const c = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--protected-mode',
        'no',
        '--requirepass',
        password,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start on ${port}:\n${output}`)),
        15_000,
      );
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      c.stdout.on('data', onData);
      c.stderr.on('data', onData);
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
    // Keep draining its output so the pipe never fills.
    c.stdout.resume();
    c.stderr.resume();
  };

  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };

  await launch();
  const admin = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  admin.on('error', () => undefined); // reconnects by itself across kill() / restart()
  clients.push(admin);

  return {
    port,
    url,
    async flush() {
      await admin.flushdb();
    },
    kill,
    restart: launch,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: null });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await kill();
    },
  };
}
