/**
 * DNS over TCP cannot exhaust the built-in server: run alone in a child process (test/fixtures/
 * dns-server.ts) so its open files and RSS can be read from /proc, it is attacked by 2,000 connections
 * trickling bytes, by clients that pipeline queries for a large TXT and never read, and by more
 * connections than its limits allow, while dig keeps getting answers over UDP.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ZoneRecord } from '../../src/adapters/dns/zone-responder.js';
import { TYPE, rawQuery, replyInfo } from '../support/dns-wire.js';
import { dig } from '../support/knot.js';
import { ROOT as REPO, type Spawned, spawnTsx } from '../support/process.js';

const ROOT = 'starchart.test';
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'dns-server.ts');
const RECORDS: ZoneRecord[] = [
  { name: `www.alice.${ROOT}`, type: 'A', value: '192.0.2.1' },
  // ~17 KB per answer.
  ...Array.from({ length: 60 }, (_, i) => ({
    name: `huge.alice.${ROOT}`,
    type: 'TXT' as const,
    value: `${String(i).padStart(3, '0')}${'t'.repeat(247)}`,
  })),
];

const dir = mkdtempSync(path.join(tmpdir(), 'starchart-dns-tcp-'));
const zoneFile = path.join(dir, 'zone.json');
writeFileSync(zoneFile, JSON.stringify(RECORDS));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ServerProcess {
  proc: Spawned;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const proc = spawnTsx(FIXTURE, {
    NODE_ENV: 'test',
    DATA_DIR: path.join(dir, 'data'),
    SECRETS_DIR: path.join(dir, 'no-secrets'),
    ROOT_DOMAIN: ROOT,
    DNS_SERVER_HOST: '127.0.0.1',
    DNS_SERVER_PORT: '0',
    DNS_FIXTURE_ZONE: zoneFile,
    ...env,
  });
  const ready = JSON.parse(await proc.waitForLine((l) => l.includes('"ready"'))) as {
    port: number;
  };
  return {
    proc,
    pid: proc.child.pid!,
    port: ready.port,
    async stop() {
      if (proc.child.exitCode === null) {
        proc.child.kill('SIGTERM');
        await proc.exit;
      }
    },
  };
}

const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function framed(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

function connect(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Send one query on a fresh connection: 'answered', or 'closed' when the server closes it first. */
async function tryQuery(
  port: number,
  localAddress: string,
): Promise<{
  outcome: 'answered' | 'closed';
  socket: net.Socket;
}> {
  const socket = await connect(port, localAddress);
  socket.on('error', () => {});
  const outcome = await new Promise<'answered' | 'closed'>((resolve) => {
    socket.once('data', () => resolve('answered'));
    socket.once('close', () => resolve('closed'));
    socket.write(framed(rawQuery({ questions: [{ name: `www.alice.${ROOT}`, type: TYPE.A }] })));
  });
  return { outcome, socket };
}

/** Poll `fn` until it is true or `ms` pass (a generous wait, never a timing assertion). */
async function until(fn: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(100);
  }
  return fn();
}

async function udpAnswers(port: number): Promise<boolean> {
  const r = await dig(port, `www.alice.${ROOT}`, 'A');
  return r.status === 'NOERROR' && r.answers.length === 1;
}

describe('DNS over TCP, bounded', () => {
  test('2,000 connections trickling a byte a second are closed after the idle timeout; UDP answers meanwhile', async () => {
    const server = await startServer({
      DNS_TCP_IDLE_TIMEOUT_S: '3',
      DNS_TCP_MAX_CONNECTIONS: '5000',
      DNS_TCP_MAX_CONNECTIONS_PER_IP: '5000',
    });
    const open = new Set<net.Socket>();
    let closedByServer = 0;
    let trickle: NodeJS.Timeout | undefined;
    try {
      expect(await udpAnswers(server.port)).toBe(true);
      const baseline = openFiles(server.pid);
      for (let batch = 0; batch < 10; batch++)
        await Promise.all(
          Array.from({ length: 200 }, async () => {
            const s = await connect(server.port);
            s.on('error', () => {});
            open.add(s);
            s.on('close', () => {
              if (open.delete(s)) closedByServer++;
            });
            s.write(Buffer.from([0, 64])); // a 64-byte query is coming… one byte at a time
          }),
        );
      // Faster than the idle timeout: a timer reset by every byte would never fire.
      trickle = setInterval(() => {
        for (const s of open) s.write('x');
      }, 1000);
      const peak = openFiles(server.pid);
      expect(await udpAnswers(server.port)).toBe(true);
      const allClosed = await until(() => open.size === 0, 30_000);
      const after = openFiles(server.pid);
      console.info(
        `trickle: server fds ${baseline} before, ${peak} with 2,000 connections, ${after} after the idle timeout; ${closedByServer} closed by the server`,
      );
      expect(allClosed, `${open.size} connections still open`).toBe(true);
      expect(closedByServer).toBe(2000);
      expect(after).toBeLessThanOrEqual(baseline + 10);
      expect(await udpAnswers(server.port)).toBe(true);
    } finally {
      clearInterval(trickle);
      for (const s of open) s.destroy();
      await server.stop();
    }
  }, 120_000);

  test('clients pipelining queries for a large TXT and never reading: the server stops reading them, its RSS stays bounded, UDP answers', async () => {
    const server = await startServer({
      DNS_TCP_IDLE_TIMEOUT_S: '60',
      DNS_TCP_MAX_QUERIES_PER_CONNECTION: '0', // no cap: backpressure alone must bound it
    });
    const clients: net.Socket[] = [];
    try {
      const big = framed(rawQuery({ questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }] }));
      // Warm up: the answer is built, cached and sent once.
      const warm = await connect(server.port);
      await new Promise((r) => {
        warm.once('data', r);
        warm.write(big);
      });
      warm.destroy();
      expect(await udpAnswers(server.port)).toBe(true);
      const before = rss(server.pid);
      // 4 connections × 2,000 queries × ~17 KB answers: 136 MB if the server answered them all.
      for (let i = 0; i < 4; i++) {
        const s = await connect(server.port);
        s.on('error', () => {});
        s.pause();
        s.write(Buffer.concat(Array.from({ length: 2000 }, () => big)));
        clients.push(s);
      }
      let peak = before;
      const sampling = (async () => {
        for (let i = 0; i < 40; i++) {
          peak = Math.max(peak, rss(server.pid));
          await sleep(100);
        }
      })();
      const answered = await udpAnswers(server.port);
      await sampling;
      const stillOpen = clients.filter((s) => !s.destroyed && s.readyState === 'open').length;
      console.info(
        `non-reading clients: server RSS ${MB(before)} before, peak ${MB(peak)} (+${MB(peak - before)}); ${stillOpen}/4 connections open`,
      );
      expect(answered).toBe(true);
      expect(stillOpen).toBe(4); // bounded while they are still connected, not by closing them
      expect(peak - before, `RSS grew ${MB(peak - before)}`).toBeLessThan(40_000_000);
    } finally {
      for (const s of clients) s.destroy();
      await server.stop();
    }
  }, 120_000);

  describe('connection limits', () => {
    let server: ServerProcess;

    beforeAll(async () => {
      server = await startServer({
        DNS_TCP_MAX_CONNECTIONS: '12',
        DNS_TCP_MAX_CONNECTIONS_PER_IP: '5',
        DNS_TCP_IDLE_TIMEOUT_S: '60',
      });
    });

    afterAll(async () => {
      await server?.stop();
    });

    test('connections above the per-address and the global limit are refused while UDP answers', async () => {
      const held: net.Socket[] = [];
      try {
        const baseline = openFiles(server.pid);
        const outcomes: Record<string, string[]> = {};
        for (const [address, count] of [
          ['127.0.0.1', 8],
          ['127.0.0.2', 5],
          ['127.0.0.3', 5],
        ] as const) {
          outcomes[address] = [];
          for (let i = 0; i < count; i++) {
            const { outcome, socket } = await tryQuery(server.port, address);
            outcomes[address].push(outcome);
            held.push(socket);
          }
        }
        const answered = (a: string) => outcomes[a]!.filter((o) => o === 'answered').length;
        // 5 per address; the 12 overall are reached by the third address.
        expect([answered('127.0.0.1'), answered('127.0.0.2'), answered('127.0.0.3')]).toEqual([
          5, 5, 2,
        ]);
        expect(outcomes['127.0.0.1']!.slice(5)).toEqual(['closed', 'closed', 'closed']);
        expect(openFiles(server.pid)).toBeLessThanOrEqual(baseline + 12);
        expect(await udpAnswers(server.port)).toBe(true);
        // Connections that close make room again.
        for (const s of held.splice(0, 5)) s.destroy();
        expect(
          await until(
            async () => (await tryQuery(server.port, '127.0.0.3')).outcome === 'answered',
            10_000,
          ),
        ).toBe(true);
      } finally {
        for (const s of held) s.destroy();
      }
    });

    test('a connection is closed after 100 queries (DNS_TCP_MAX_QUERIES_PER_CONNECTION), each answered', async () => {
      const s = await connect(server.port, '127.0.0.4');
      let buf = Buffer.alloc(0);
      const replies: Buffer[] = [];
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      s.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
      });
      s.on('error', () => {});
      s.write(
        Buffer.concat(
          Array.from({ length: 150 }, (_, i) =>
            framed(rawQuery({ id: i, questions: [{ name: `www.alice.${ROOT}`, type: TYPE.A }] })),
          ),
        ),
      );
      await closed;
      expect(replies.map((r) => replyInfo(r).id)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });
  });
});
