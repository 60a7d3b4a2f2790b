/**
 * DNS UPDATE on the wire with our own encoder (what nsupdate cannot be made to send): a clock off by
 * more than the fudge (BADTIME, signed, server time in Other Data), a replayed request (answered from
 * the cache, applied once), truncated MACs, unsigned updates; the MAC against nsupdate's (a request
 * captured from nsupdate verifies with our code); and a corpus of malformed packets (truncations at
 * every offset, byte flips, inflated counts) that must never crash the server or grow its memory.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import { TSIG_ERROR, nameToWire, verifyRequestMac } from '../../src/adapters/dns/tsig.js';
import { RCODE, readUpdateFrame } from '../../src/adapters/dns/update-message.js';
import { DnsUpdateService } from '../../src/adapters/dns/update-server.js';
import type { DnsUpdate, DnsUpdateHandler, TsigKey } from '../../src/ports/dns-update.js';
import { silentLogger } from '../support/db.js';
import { seededRandom, staticSource } from '../support/dns-wire.js';

const ROOT = 'starchart.test';
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const KEY: TsigKey = { name: 'k1', secret: SECRET, tokenId: 1, userId: 1 };

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** An UPDATE adding `name` A 192.0.2.1, signed with `secret` at `time` (seconds) unless unsigned. */
function updateMessage(opts: {
  id?: number;
  time?: number;
  secret?: Buffer | null;
  macLength?: number;
  zone?: string;
  name?: string;
  keyName?: string;
}): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(opts.id ?? 0x1234, 0);
  head.writeUInt16BE(5 << 11, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(1, 8);
  const signed = opts.secret !== null;
  head.writeUInt16BE(signed ? 1 : 0, 10);
  const zone = Buffer.concat([nameToWire(opts.zone ?? ROOT), u16(6), u16(1)]);
  const rr = Buffer.concat([
    nameToWire(opts.name ?? `www.alice.${ROOT}`),
    u16(1),
    u16(1),
    Buffer.from([0, 0, 0, 60]),
    u16(4),
    Buffer.from([192, 0, 2, 1]),
  ]);
  const body = Buffer.concat([head, zone, rr]);
  if (!signed) return body;
  const time = opts.time ?? Math.floor(Date.now() / 1000);
  const keyWire = nameToWire(opts.keyName ?? KEY.name);
  const alg = nameToWire('hmac-sha256');
  const timers = Buffer.alloc(8);
  timers.writeUInt16BE(Math.floor(time / 2 ** 32), 0);
  timers.writeUInt32BE(time >>> 0, 2);
  timers.writeUInt16BE(300, 6);
  const unsignedHead = Buffer.from(body);
  unsignedHead.writeUInt16BE(0, 10);
  const vars = Buffer.concat([keyWire, u16(255), Buffer.alloc(4), alg, timers, u16(0), u16(0)]);
  const mac = createHmac('sha256', opts.secret ?? SECRET)
    .update(unsignedHead)
    .update(vars)
    .digest()
    .subarray(0, opts.macLength ?? 32);
  const rdata = Buffer.concat([
    alg,
    timers,
    u16(mac.length),
    mac,
    u16(opts.id ?? 0x1234),
    u16(0),
    u16(0),
  ]);
  return Buffer.concat([
    body,
    keyWire,
    u16(250),
    u16(255),
    Buffer.alloc(4),
    u16(rdata.length),
    rdata,
  ]);
}

interface Reply {
  rcode: number;
  tsigError: number | null;
  macLength: number | null;
  other: Buffer | null;
}

function readReply(b: Buffer): Reply {
  const rcode = b[3]! & 0x0f;
  if (b.readUInt16BE(10) === 0) return { rcode, tsigError: null, macLength: null, other: null };
  // The TSIG record is last: its tail is original id, error, other length, other data.
  const frame = readUpdateFrame(b);
  if (!frame.ok || !frame.frame.tsig) throw new Error('unreadable reply');
  const t = frame.frame.tsig;
  return { rcode, tsigError: t.error, macLength: t.mac.length, other: t.other };
}

function service(now: () => number = Date.now) {
  const applied: DnsUpdate[] = [];
  const handler: DnsUpdateHandler = {
    findKey: async (name) => (name === KEY.name ? KEY : null),
    apply: async (update) => {
      applied.push(update);
      return { rcode: 'NOERROR' };
    },
  };
  return {
    svc: new DnsUpdateService({ origin: ROOT, handler, logger: silentLogger, now }),
    applied,
  };
}

describe('DNS UPDATE messages and TSIG', () => {
  test('a valid request is applied once; its replay gets the same answer and is not applied again', async () => {
    const { svc, applied } = service();
    const msg = updateMessage({});
    const first = (await svc.handle(msg, '192.0.2.50'))!;
    expect(readReply(first)).toMatchObject({ rcode: 0, tsigError: 0, macLength: 32 });
    const again = Buffer.from(msg);
    again.writeUInt16BE(0x9999, 0); // another id: the MAC covers the original id, not the header's
    const second = (await svc.handle(again, '198.51.100.1'))!;
    expect(second.readUInt16BE(0)).toBe(0x9999);
    expect(second.subarray(2)).toEqual(first.subarray(2));
    expect(applied).toHaveLength(1);
    expect(svc.stats.replays).toBe(1);
    expect(applied[0]).toEqual({
      zone: ROOT,
      prerequisites: [],
      updates: [
        {
          kind: 'add',
          rr: { name: `www.alice.${ROOT}`, type: 'A', ttl: 60, value: '192.0.2.1', priority: null },
        },
      ],
    });
  });

  test('one key flooding distinct signed updates fills only its own share of the replay cache', async () => {
    let now = 1_800_000_000_000;
    const other: TsigKey = { name: 'k2', secret: SECRET, tokenId: 2, userId: 2 };
    const applied: string[] = [];
    const svc = new DnsUpdateService({
      origin: ROOT,
      logger: silentLogger,
      now: () => now,
      replayPerKey: 3,
      handler: {
        findKey: async (name) => (name === KEY.name ? KEY : name === other.name ? other : null),
        apply: async (_update, key) => {
          applied.push(key.name);
          return { rcode: 'NOERROR' };
        },
      },
    });
    const send = async (keyName: string, id: number) =>
      readReply(
        (await svc.handle(updateMessage({ id, keyName, time: Math.floor(now / 1000) }), 'a'))!,
      ).rcode;
    // Distinct messages (their ids differ, so do their MACs): the fourth from k1 is refused, signed.
    expect([await send('k1', 1), await send('k1', 2), await send('k1', 3)]).toEqual([0, 0, 0]);
    expect(await send('k1', 4)).toBe(RCODE.REFUSED);
    expect(svc.stats.overLimit).toBe(1);
    // Another key is unaffected.
    expect(await send('k2', 5)).toBe(0);
    expect(applied).toEqual(['k1', 'k1', 'k1', 'k2']);
    // Once the remembered answers are past their fudge window, k1 has room again.
    now += 302_000;
    expect(await send('k1', 6)).toBe(0);
    expect(applied).toHaveLength(5);
  });

  test('BADTIME: signed, with the request time and the server time in Other Data', async () => {
    const now = 1_800_000_000_000;
    const { svc, applied } = service(() => now);
    const out = (await svc.handle(updateMessage({ time: now / 1000 - 301 }), '192.0.2.50'))!;
    const r = readReply(out);
    expect(r).toMatchObject({ rcode: RCODE.NOTAUTH, tsigError: TSIG_ERROR.BADTIME, macLength: 32 });
    expect(r.other!.readUInt32BE(2)).toBe(now / 1000);
    expect(applied).toHaveLength(0);
    // Inside the fudge: accepted.
    expect(
      readReply((await svc.handle(updateMessage({ time: now / 1000 + 299 }), 'a'))!).rcode,
    ).toBe(0);
  });

  test('unsigned REFUSED, truncated MAC BADTRUNC, too short FORMERR, wrong secret BADSIG unsigned, other zone NOTAUTH', async () => {
    const { svc, applied } = service();
    expect(readReply((await svc.handle(updateMessage({ secret: null }), 'a'))!).rcode).toBe(
      RCODE.REFUSED,
    );
    expect(readReply((await svc.handle(updateMessage({ macLength: 20 }), 'a'))!)).toMatchObject({
      rcode: RCODE.NOTAUTH,
      tsigError: TSIG_ERROR.BADTRUNC,
      macLength: 0,
    });
    expect(readReply((await svc.handle(updateMessage({ macLength: 8 }), 'a'))!).rcode).toBe(
      RCODE.FORMERR,
    );
    expect(
      readReply((await svc.handle(updateMessage({ secret: Buffer.from('x'.repeat(32)) }), 'a'))!),
    ).toMatchObject({ rcode: RCODE.NOTAUTH, tsigError: TSIG_ERROR.BADSIG, macLength: 0 });
    expect(
      readReply(
        (await svc.handle(updateMessage({ zone: 'example.com', name: 'a.example.com' }), 'a'))!,
      ),
    ).toMatchObject({
      rcode: RCODE.NOTAUTH,
      tsigError: 0,
      macLength: 32,
    });
    expect(
      readReply((await svc.handle(updateMessage({ name: 'www.example.com' }), 'a'))!).rcode,
    ).toBe(RCODE.NOTZONE);
    expect(applied).toHaveLength(0);
  });

  test("nsupdate's request MAC verifies with our code (known vector)", async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
    const child = execFile(
      'nsupdate',
      ['-t', '1', '-y', `hmac-sha256:k1:${SECRET.toString('base64')}`],
      () => {},
    );
    child.stdin!.end(
      `server 127.0.0.1 ${sock.address().port}\nzone ${ROOT}\nupdate add www.alice.${ROOT} 60 A 192.0.2.1\nsend\n`,
    );
    const msg = await got;
    child.kill();
    sock.close();
    const frame = readUpdateFrame(msg);
    expect(frame.ok).toBe(true);
    const tsig = frame.ok ? frame.frame.tsig! : null;
    expect(tsig!.keyName).toBe('k1');
    expect(verifyRequestMac(msg, tsig!, SECRET)).toBe(true);
    expect(verifyRequestMac(msg, tsig!, Buffer.from('y'.repeat(32)))).toBe(false);
  });

  test('per-source bound on updates in flight', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const handler: DnsUpdateHandler = {
      findKey: async () => KEY,
      apply: async (update) => {
        const first = update.updates[0]!;
        if (first.kind === 'add' && /^n[01]\./.test(first.rr.name)) await gate;
        return { rcode: 'NOERROR' };
      },
    };
    const svc = new DnsUpdateService({
      origin: ROOT,
      handler,
      logger: silentLogger,
      maxInFlightPerAddress: 2,
    });
    const pending = [0, 1].map((i) =>
      svc.handle(updateMessage({ id: i, name: `n${i}.alice.${ROOT}` }), 'a'),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(
      readReply((await svc.handle(updateMessage({ id: 3, name: `n3.alice.${ROOT}` }), 'a'))!).rcode,
    ).toBe(RCODE.REFUSED);
    expect(
      readReply((await svc.handle(updateMessage({ id: 4, name: `n4.alice.${ROOT}` }), 'b'))!).rcode,
    ).toBe(RCODE.NOERROR);
    release();
    for (const p of pending) expect(readReply((await p)!).rcode).toBe(RCODE.NOERROR);
  });
});

describe('malformed UPDATE corpus', () => {
  let server: EmbeddedDnsServer;
  const { svc } = service();

  beforeAll(async () => {
    server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: [`ns1.${ROOT}`],
      host: '127.0.0.1',
      port: 0,
      source: staticSource([{ name: `www.alice.${ROOT}`, type: 'A', value: '192.0.2.1' }]),
      logger: silentLogger,
      updates: {
        findKey: async (name) => (name === KEY.name ? KEY : null),
        apply: async () => ({ rcode: 'NOERROR' }),
      },
    });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  function corpus(): Buffer[] {
    const base = updateMessage({});
    const out: Buffer[] = [];
    for (let i = 0; i < base.length; i++) out.push(base.subarray(0, i));
    const rnd = seededRandom(2136);
    for (let i = 0; i < 3000; i++) {
      const m = Buffer.from(base);
      for (let f = 1 + Math.floor(rnd() * 4); f > 0; f--)
        m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      out.push(m);
    }
    for (const at of [4, 6, 8, 10])
      for (const n of [0, 2, 101, 201, 0xffff]) {
        const m = Buffer.from(base);
        m.writeUInt16BE(n, at);
        out.push(m);
      }
    // A compression loop and a forward pointer in the update section.
    const loop = Buffer.from(base);
    loop[12 + ROOT.length + 2 + 4] = 0xc0;
    loop[12 + ROOT.length + 2 + 5] = 12 + ROOT.length + 2 + 4;
    out.push(loop);
    return out;
  }

  test('every mutation gets FORMERR/NOTAUTH/REFUSED/NOTZONE/NOERROR or silence, never a crash; memory flat', async () => {
    const allowed = new Set([0, 1, 5, 9, 10]);
    const packets = corpus();
    const run = async () => {
      for (const p of packets) {
        const out = await svc.handle(p, '192.0.2.1');
        if (out) expect(allowed.has(out[3]! & 0x0f), p.toString('hex')).toBe(true);
      }
    };
    await run();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5; i++) await run();
    global.gc?.();
    const after = process.memoryUsage().heapUsed;
    // The replay cache holds at most one entry per accepted MAC (a handful here); nothing else grows.
    expect(after - before).toBeLessThan(20e6);

    // The same corpus over UDP to the server: it keeps answering queries.
    const sock = dgram.createSocket('udp4');
    for (const p of packets) sock.send(p, server.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    const answered = await new Promise<Buffer>((resolve) => {
      sock.on('message', (m) => {
        if (m.readUInt16BE(0) === 0x4242) resolve(m);
      });
      const q = Buffer.concat([
        Buffer.from([0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        nameToWire(`www.alice.${ROOT}`),
        u16(1),
        u16(1),
      ]);
      // Resent until answered: after a burst of 3,000 datagrams (some now answered asynchronously,
      // as signed queries) a single query can be lost in a full socket buffer, as UDP may.
      const send = () => sock.send(q, server.port, '127.0.0.1');
      send();
      const again = setInterval(send, 500);
      sock.once('close', () => clearInterval(again));
    });
    sock.close();
    expect(answered[3]! & 0x0f).toBe(0);
  });
});

describe('UPDATE with UDP worker processes', () => {
  test('workers forward UPDATE to the primary, which answers on the shared socket', async () => {
    const server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: [`ns1.${ROOT}`],
      host: '127.0.0.1',
      port: 0,
      source: staticSource([]),
      logger: silentLogger,
      udpWorkers: 2,
      updates: {
        findKey: async (name) => (name === KEY.name ? KEY : null),
        apply: async () => ({ rcode: 'NOERROR' }),
      },
    });
    await server.start();
    try {
      const replies = new Map<number, Buffer>();
      for (let i = 0; i < 16; i++) {
        // A socket per request: the kernel spreads sources over the processes reading the port.
        const sock = dgram.createSocket('udp4');
        const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
        sock.send(updateMessage({ id: i, name: `w${i}.alice.${ROOT}` }), server.port, '127.0.0.1');
        replies.set(i, await got);
        sock.close();
      }
      for (const [id, reply] of replies) {
        expect(reply.readUInt16BE(0)).toBe(id);
        expect(readReply(reply)).toMatchObject({ rcode: 0, tsigError: 0, macLength: 32 });
      }
    } finally {
      await server.stop();
    }
  });
});
