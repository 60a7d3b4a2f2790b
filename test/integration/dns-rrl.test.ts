/**
 * Response rate limiting over real sockets: with DNS_RRL_RESPONSES_PER_SECOND set, a burst from one
 * prefix gets a few full answers, some tiny truncated replies (slip) and silence, with and without a
 * UDP worker; another prefix and TCP still get answers. Off by default: a load from one address (the
 * benchmark's dnsperf) is answered in full.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import type { DnsServerLimits } from '../../src/adapters/dns/limits.js';
import type { ZoneRecord } from '../../src/adapters/dns/zone-responder.js';
import { silentLogger } from '../support/db.js';
import { TYPE, rawQuery, replyInfo, staticSource, udpExchange } from '../support/dns-wire.js';
import { dig } from '../support/knot.js';

const ROOT = 'starchart.test';
const RECORDS: ZoneRecord[] = [
  { name: `www.alice.${ROOT}`, type: 'A', value: '192.0.2.1' },
  ...Array.from({ length: 6 }, (_, i) => ({
    name: `mid.alice.${ROOT}`,
    type: 'TXT' as const,
    value: `${i}${'m'.repeat(149)}`,
  })),
];
const QUERY = rawQuery({
  questions: [{ name: `mid.alice.${ROOT}`, type: TYPE.TXT }],
  opt: { size: 1232 },
});

let server: EmbeddedDnsServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function start(udpWorkers: number, limits: Partial<DnsServerLimits> = {}) {
  server = new EmbeddedDnsServer({
    origin: ROOT,
    nameservers: [`ns1.${ROOT}`],
    host: '127.0.0.1',
    port: 0,
    udpWorkers,
    limits,
    source: staticSource(RECORDS),
    logger: silentLogger,
  });
  return server.start();
}

/** Send `n` copies of QUERY at once from `localAddress` and sort what comes back within a second. */
async function burst(port: number, n: number, localAddress = '127.0.0.1') {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, localAddress, r));
  const replies: Buffer[] = [];
  socket.on('message', (m) => replies.push(m));
  for (let i = 0; i < n; i++) socket.send(QUERY, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 1000));
  socket.close();
  const full = replies.filter((r) => !replyInfo(r).tc && replyInfo(r).an === 6);
  const slipped = replies.filter((r) => replyInfo(r).tc);
  return { full: full.length, slipped, silent: n - replies.length };
}

describe.each([0, 1])('rate limited, %i UDP worker(s)', (udpWorkers) => {
  test('a burst of 200 from one prefix: a few answers, tiny TC replies, silence; others unaffected', async () => {
    const port = await start(udpWorkers, { rrlResponsesPerSecond: 5, rrlSlip: 2 });
    const b = await burst(port, 200);
    console.info(
      `RRL 5/s slip 2, ${udpWorkers} worker(s): ${b.full} answered, ${b.slipped.length} slipped, ${b.silent} dropped of 200`,
    );
    expect(b.full).toBeGreaterThan(0);
    expect(b.full).toBeLessThan(50);
    expect(b.slipped.length).toBeGreaterThan(0);
    expect(b.silent).toBeGreaterThan(0);
    for (const r of b.slipped) {
      expect(r.length).toBeLessThanOrEqual(QUERY.length);
      expect(replyInfo(r)).toMatchObject({ qd: 1, an: 0, ns: 0, rcode: 0 });
    }
    // Another /24 is answered over UDP; the limited prefix still gets everything over TCP.
    const other = await udpExchange(port, [QUERY], { localAddress: '127.0.1.1' });
    expect(replyInfo(other[0]!)).toMatchObject({ tc: false, an: 6 });
    const tcp = await dig(port, `mid.alice.${ROOT}`, 'TXT', ['+tcp']);
    expect(tcp.answers).toHaveLength(6);
  });
});

test('off by default: 2,000 queries from one address are all answered in full', async () => {
  const port = await start(0);
  const replies = await udpExchange(
    port,
    Array.from({ length: 2000 }, () => QUERY),
  );
  expect(replies.filter((r) => r && !replyInfo(r).tc && replyInfo(r).an === 6)).toHaveLength(2000);
  expect((await dig(port, `www.alice.${ROOT}`, 'A')).answers).toHaveLength(1);
});
