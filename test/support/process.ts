/** Spawn the service (or a fixture) with tsx and read its JSON-line output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/**
 * The production command, `npm run start:prod` (the image's CMD is kept equal to it by a test), as
 * `node`, its flags, and the entry point: tests and benchmarks run the service the way it is deployed.
 */
export function productionCommand(): { flags: string[]; entry: string } {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = pkg.scripts['start:prod']!.split(/\s+/);
  if (words[0] !== 'node' || words.length < 2) throw new Error('start:prod must be `node … entry`');
  return { flags: words.slice(1, -1), entry: words.at(-1)! };
}

// The tsx loader inside this Node process (not the tsx CLI, which adds a parent process that relays
// signals and reports its own exit code).
const TSX_LOADER = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');

export interface Spawned {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(pred: (line: string) => boolean, ms?: number): Promise<string>;
}

export function spawnTsx(script: string, env: Record<string, string>, cwd = ROOT): Spawned {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters])
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  });
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr,
    exit,
    waitForLine(pred, ms = 20_000) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `no matching line within ${ms} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.join('')}`,
              ),
            ),
          ms,
        );
        waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exit.then(() =>
          setTimeout(
            () =>
              reject(
                new Error(
                  `process exited; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.join('')}`,
                ),
              ),
            50,
          ),
        );
      });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitForHttp(url: string, ms = 20_000): Promise<Response> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fetch(url);
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
