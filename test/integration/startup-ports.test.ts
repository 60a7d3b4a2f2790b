/**
 * The real entry point as a child process, started on a port something else already holds: it ends
 * with one line naming the port and the setting to change, exit code 1, and no stack trace.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, type Spawned, freePort, spawnTsx } from '../support/process.js';

const MAIN = path.join(ROOT, 'src', 'main.ts');
const children: Spawned[] = [];
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const f of cleanups) f();
});

function tempCwd(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-ports-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function holdTcp(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

async function holdUdp(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  return socket.address().port;
}

async function startAndFail(env: Record<string, string>) {
  const proc = spawnTsx(MAIN, { ...env, HOST: '127.0.0.1' }, tempCwd());
  children.push(proc);
  const { code } = await proc.exit;
  const stderr = proc.stderr.join('');
  return { code, stderr, stdout: proc.lines.join('\n') };
}

describe('start-up on a port already in use', () => {
  it('the HTTP port: one line naming PORT', { timeout: 90_000 }, async () => {
    const taken = await holdTcp();
    const { code, stderr, stdout } = await startAndFail({
      PORT: String(taken),
      DNS_SERVER_PORT: String(await freePort()),
    });
    expect(code).toBe(1);
    expect(stderr).toBe(`Port ${taken} is already in use: set PORT to a free port\n`);
    expect(stdout).not.toMatch(/EADDRINUSE|\n\s+at /);
  });

  it(
    'the built-in DNS server port: one line naming DNS_SERVER_PORT',
    { timeout: 90_000 },
    async () => {
      const taken = await holdUdp();
      const { code, stderr, stdout } = await startAndFail({
        PORT: String(await freePort()),
        DNS_SERVER_PORT: String(taken),
      });
      expect(code).toBe(1);
      expect(stderr).toBe(`Port ${taken} is already in use: set DNS_SERVER_PORT to a free port\n`);
      expect(stdout).not.toMatch(/EADDRINUSE|\n\s+at /);
    },
  );
});
