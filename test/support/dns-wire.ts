/**
 * DNS messages as raw bytes for tests that must send what no well-behaved client sends (many
 * questions, bad labels, huge counts), and exchanges over real UDP and TCP sockets.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ZoneSource } from '../../src/adapters/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/adapters/dns/zone-responder.js';

export const TYPE = {
  A: 1,
  NS: 2,
  SOA: 6,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
};
export const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** A zone source that never changes, for servers that need no database. */
export function staticSource(records: ZoneRecord[], serial = 1): ZoneSource {
  return { serial: async () => serial, load: async () => ({ serial, records }) };
}

/** A name as wire labels ('' = the root); labels are written as given, case and all. */
export function wireName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])),
    Buffer.from([0]),
  ]);
}

export interface Opt {
  /** The advertised UDP payload size. */
  size: number;
  version?: number;
  do?: boolean;
  /** Raw option bytes (e.g. padding: code 12, length, zeros). */
  options?: Buffer;
}

/** An OPT record (owner the root). */
export function optRecord(opt: Opt): Buffer {
  const options = opt.options ?? Buffer.alloc(0);
  const b = Buffer.alloc(11 + options.length);
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(opt.size, 3);
  b[6] = opt.version ?? 0;
  b[7] = opt.do ? 0x80 : 0;
  b.writeUInt16BE(options.length, 9);
  options.copy(b, 11);
  return b;
}

/** An EDNS padding option of `n` zero bytes (RFC 7830). */
export function padding(n: number): Buffer {
  const b = Buffer.alloc(4 + n);
  b.writeUInt16BE(12, 0);
  b.writeUInt16BE(n, 2);
  return b;
}

export interface QueryParts {
  id?: number;
  /** The 16 flag bits (default 0x0100: RD). */
  flags?: number;
  questions: { name: string | Buffer; type: number; class?: number }[];
  opt?: Opt | null;
  /** Header counts to write instead of the true ones. */
  counts?: Partial<Record<'qd' | 'an' | 'ns' | 'ar', number>>;
  /** Bytes appended after the OPT record. */
  tail?: Buffer;
}

export function rawQuery(q: QueryParts): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id ?? 0x1234, 0);
  header.writeUInt16BE(q.flags ?? 0x0100, 2);
  header.writeUInt16BE(q.counts?.qd ?? q.questions.length, 4);
  header.writeUInt16BE(q.counts?.an ?? 0, 6);
  header.writeUInt16BE(q.counts?.ns ?? 0, 8);
  header.writeUInt16BE(q.counts?.ar ?? (q.opt ? 1 : 0), 10);
  const questions = q.questions.map((x) => {
    const tc = Buffer.alloc(4);
    tc.writeUInt16BE(x.type, 0);
    tc.writeUInt16BE(x.class ?? 1, 2);
    return Buffer.concat([typeof x.name === 'string' ? wireName(x.name) : x.name, tc]);
  });
  return Buffer.concat([
    header,
    ...questions,
    q.opt ? optRecord(q.opt) : Buffer.alloc(0),
    q.tail ?? Buffer.alloc(0),
  ]);
}

export interface ReplyInfo {
  id: number;
  rcode: number;
  tc: boolean;
  aa: boolean;
  qd: number;
  an: number;
  ns: number;
  ar: number;
  /** The bytes of the first question (name, type, class), or null without one. */
  question: Buffer | null;
}

/** The header and first question of a reply (our replies never compress the question). */
export function replyInfo(b: Buffer): ReplyInfo {
  const qd = b.readUInt16BE(4);
  let question: Buffer | null = null;
  if (qd > 0) {
    let p = 12;
    while (b[p] !== 0) p += 1 + b[p]!;
    question = b.subarray(12, p + 5);
  }
  return {
    id: b.readUInt16BE(0),
    rcode: b[3]! & 0x0f,
    tc: (b[2]! & 0x02) !== 0,
    aa: (b[2]! & 0x04) !== 0,
    qd,
    an: b.readUInt16BE(6),
    ns: b.readUInt16BE(8),
    ar: b.readUInt16BE(10),
    question,
  };
}

/**
 * Send each packet over UDP (at most `window` outstanding) and collect the replies by packet index:
 * each packet of 2 bytes or more gets the id of its index written over its first two bytes, so a
 * reply is matched by its id. A query without a reply after `timeoutMs` is sent again (up to
 * `attempts` times); a packet no server answers (shorter than a header, or a response) is sent once
 * and not waited for, though a reply to it is still recorded.
 */
export async function udpExchange(
  port: number,
  packets: Buffer[],
  { window = 32, timeoutMs = 1000, attempts = 3, localAddress = '127.0.0.1' } = {},
): Promise<(Buffer | null)[]> {
  if (packets.length > 0x10000) throw new Error('at most 65,536 packets (one id each)');
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, localAddress, r));
  const replies: (Buffer | null)[] = packets.map(() => null);
  const waiting = new Map<number, () => void>();
  socket.on('message', (msg) => {
    if (msg.length < 2) return;
    const id = msg.readUInt16BE(0);
    if (id < packets.length && replies[id] === null) {
      replies[id] = msg;
      waiting.get(id)?.();
    }
  });
  const sendOne = async (i: number) => {
    const p = Buffer.from(packets[i]!);
    if (p.length >= 2) p.writeUInt16BE(i, 0);
    if (p.length < 12 || p[2]! & 0x80) {
      socket.send(p, port, '127.0.0.1');
      return;
    }
    for (let attempt = 0; attempt < attempts && replies[i] === null; attempt++) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        waiting.set(i, () => {
          clearTimeout(t);
          resolve();
        });
        socket.send(p, port, '127.0.0.1');
      });
      waiting.delete(i);
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(window, packets.length) }, async () => {
      while (next < packets.length) await sendOne(next++);
    }),
  );
  await new Promise((r) => setTimeout(r, 200)); // replies to what was not waited for
  socket.close();
  return replies;
}

/** Send DNS messages on one TCP connection (pipelined) and read as many replies. */
export async function tcpExchange(port: number, packets: Buffer[]): Promise<Buffer[]> {
  const socket = net.connect(port, '127.0.0.1');
  const replies: Buffer[] = [];
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => {
      for (const p of packets) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(p.length);
        socket.write(Buffer.concat([len, p]));
      }
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length === packets.length) {
        socket.end();
        resolve();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
  return replies;
}

/** A small deterministic generator (mulberry32), so a failing corpus is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
