/** Helpers for the deployment tests: free ports, a private redis-server, child processes with captured output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A TCP port nothing listens on right now (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawn with stdout+stderr captured into one string. */
export function startProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string | undefined> },
): Proc {
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
    child.on('error', (err) => {
      out += `\nspawn error: ${err.message}\n`;
      resolve(-2);
    });
  });
  return { child, output: () => out, exited };
}

/** Stop a process with SIGTERM and wait for it (SIGKILL after a long grace, so tests never hang). */
export async function stopProcess(p: Proc, graceMs = 30_000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Poll until fn returns a value (not undefined) or the process dies / the deadline passes. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { proc?: Proc; deadlineMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
  let last: unknown;
  for (;;) {
    if (opts.proc && (opts.proc.child.exitCode !== null || opts.proc.child.signalCode !== null))
      throw new Error(
        `${what}: process exited (${opts.proc.child.exitCode}):\n${opts.proc.output()}`,
      );
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: gave up (last error: ${String(last)})${opts.proc ? `\n${opts.proc.output()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A private redis-server on a free loopback port, so wipe tests never touch anyone else's keys. */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = startProcess(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { env: { PATH: process.env.PATH } },
  );
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitFor(
      'redis-server',
      async () => {
        const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
        r.on('error', () => undefined); // connection refused until the server is up
        try {
          await r.connect();
          return (await r.ping()) === 'PONG' ? true : undefined;
        } finally {
          r.disconnect();
        }
      },
      { proc, deadlineMs: 15_000 },
    );
  } catch (e) {
    await stopProcess(proc);
    throw new Error(
      `Could not start redis-server (install it with: bash .ci/services.sh packages): ${(e as Error).message}`,
    );
  }
  return { url, stop: async () => void (await stopProcess(proc)) };
}
