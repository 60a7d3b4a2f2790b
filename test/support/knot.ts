/**
 * Runs Debian's knotd (a real authoritative server) on a free loopback port with a zone file built
 * from the same records our servers serve, for answer-by-answer comparisons. Fails, naming the
 * package to install, when knotd is missing.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ZoneRecord } from '../../src/adapters/dns/zone-responder.js';

export interface KnotServer {
  port: number;
  stop(): Promise<void>;
}

export const KNOTD = '/usr/sbin/knotd';

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => (ok ? tcp.close(() => r()) : r()));
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) return port;
  }
}

/** Zone-file presentation of one record (TXT as 255-byte strings with decimal escapes). */
export function zoneLine(r: ZoneRecord, ttl = 300): string {
  const owner = `${r.name.replace(/\.$/, '')}.`;
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return `${owner} ${ttl} IN ${r.type} ${r.value}`;
    case 'CNAME':
      return `${owner} ${ttl} IN CNAME ${r.value}.`;
    case 'MX': {
      const [p, h] = r.value.split(' ');
      return `${owner} ${ttl} IN MX ${p} ${h}.`;
    }
    case 'TXT': {
      const bytes = Buffer.from(r.value, 'utf8');
      const parts: string[] = [];
      for (let i = 0; i < bytes.length; i += 255) {
        let s = '"';
        for (const b of bytes.subarray(i, i + 255)) {
          if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
          else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
          else s += `\\${String(b).padStart(3, '0')}`;
        }
        parts.push(`${s}"`);
      }
      return `${owner} ${ttl} IN TXT ${parts.join(' ')}`;
    }
  }
}

export async function startKnot(
  origin: string,
  serial: number,
  nameservers: string[],
  records: readonly ZoneRecord[],
): Promise<KnotServer> {
  if (!existsSync(KNOTD))
    throw new Error(
      `knotd not found at ${KNOTD}: install the Debian package "knot" (apt-get install knot)`,
    );
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-knot-'));
  const port = await freePort();
  const zone = [
    `$ORIGIN ${origin}.`,
    `@ 300 IN SOA ${nameservers[0]}. hostmaster.${origin}. ${serial} 3600 600 1209600 60`,
    ...nameservers.map((n) => `@ 300 IN NS ${n}.`),
    ...records.map((r) => zoneLine(r)),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'zone'), zone);
  writeFileSync(
    path.join(dir, 'knot.conf'),
    [
      'server:',
      `    rundir: "${dir}"`,
      `    listen: 127.0.0.1@${port}`,
      '    background-workers: 1',
      'database:',
      `    storage: "${dir}"`,
      'log:',
      '  - target: stderr',
      '    any: error',
      'template:',
      '  - id: default',
      `    storage: "${dir}"`,
      'zone:',
      `  - domain: ${origin}`,
      `    file: "${path.join(dir, 'zone')}"`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(KNOTD, ['-c', path.join(dir, 'knot.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Ready when it answers the SOA.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await dig(port, origin, 'SOA', ['+time=1']);
    if (r.status === 'NOERROR') break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`knotd did not start: ${stderr}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface DigResult {
  status: string;
  flags: string[];
  answers: string[];
  raw: string;
}

/**
 * Run dig (asynchronously: servers under test may live in this process) and return the parts we
 * compare: status, header flags, answer lines.
 */
export async function dig(
  port: number,
  name: string,
  type: string,
  extra: string[] = [],
): Promise<DigResult> {
  // Every DNS response carries QR. Once, on a loaded 2-core CI machine, dig printed a reply from knot
  // whose header read only "ad": whatever dig parsed there was not the server's answer, so ask again
  // (at most twice) rather than compare against it.
  let result = await digOnce(port, name, type, extra);
  for (let i = 0; i < 2 && result.status !== 'NONE' && !result.flags.includes('qr'); i++)
    result = await digOnce(port, name, type, extra);
  return result;
}

async function digOnce(
  port: number,
  name: string,
  type: string,
  extra: string[],
): Promise<DigResult> {
  const raw = await new Promise<string>((resolve, reject) => {
    execFile(
      'dig',
      [
        '+norec',
        '+nocookie',
        '+tries=1',
        '+time=2',
        '@127.0.0.1',
        '-p',
        String(port),
        ...extra,
        name,
        type,
      ],
      { encoding: 'utf8' },
      (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
          reject(new Error('dig not found: install the Debian package "dnsutils"'));
        else resolve(stdout);
      },
    );
  });
  const status = /status: (\w+)/.exec(raw)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([^;]*);/.exec(raw)?.[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .sort();
  const answers: string[] = [];
  const sec = raw.split(';; ANSWER SECTION:\n')[1];
  if (sec) {
    for (const line of sec.split('\n')) {
      if (line.trim() === '') break;
      answers.push(line.replace(/\s+/g, ' ').trim());
    }
  }
  return { status, flags, answers: answers.sort(), raw };
}
