/**
 * The built-in DNS server is no reflector: a generated corpus of malformed, multi-question and
 * oversized-answer queries goes over real UDP, with and without a UDP worker process, and every reply
 * holds to the size rule (at most 512 bytes without EDNS, at most the smaller of the client's size and
 * DNS_UDP_MAX_PAYLOAD with it), carries at most the first question, and echoes it unchanged. Zone
 * transfers are refused over UDP and TCP, seen by dig.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import type { ZoneRecord } from '../../src/adapters/dns/zone-responder.js';
import { silentLogger } from '../support/db.js';
import {
  type Opt,
  RCODE_NAMES,
  TYPE,
  padding,
  rawQuery,
  replyInfo,
  seededRandom,
  staticSource,
  tcpExchange,
  udpExchange,
  wireName,
} from '../support/dns-wire.js';

const ROOT = 'starchart.test';
const txt = (name: string, n: number, len: number): ZoneRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `${name}.alice.${ROOT}`,
    type: 'TXT' as const,
    value: `${String(i).padStart(3, '0')}${'t'.repeat(len - 3)}`,
  }));
const RECORDS: ZoneRecord[] = [
  { name: `www.alice.${ROOT}`, type: 'A', value: '192.0.2.1' },
  { name: `web.alice.${ROOT}`, type: 'CNAME', value: `big.alice.${ROOT}` },
  ...txt('mid', 6, 150), // ~1.1 KB: over 512, under 1232
  ...txt('big', 12, 90), // ~1.5 KB: over 1232
  ...txt('huge', 200, 250), // ~57 KB: over every UDP size, under the TCP limit
];

interface Case {
  label: string;
  packet: Buffer;
  /** The largest reply the rule allows for this packet. */
  allowed: number;
}

const allowedFor = (opt: Opt | null | undefined, max: number) =>
  opt ? Math.min(Math.max(opt.size, 512), max) : 512;

/** The corpus: deterministic, so a failure names the same packet on every run. */
function corpus(MAX_PAYLOAD: number): Case[] {
  const rnd = seededRandom(16);
  const int = (n: number) => Math.floor(rnd() * n);
  const cases: Case[] = [];
  const add = (label: string, packet: Buffer, allowed = 512) =>
    cases.push({ label, packet, allowed });
  const names = [
    `www.alice.${ROOT}`,
    `MID.Alice.${ROOT}`,
    `big.alice.${ROOT}`,
    `HUGE.alice.${ROOT}`,
    `web.alice.${ROOT}`,
    `nope.alice.${ROOT}`,
    ROOT,
    'example.com',
    '',
  ];
  const types = [TYPE.A, TYPE.TXT, TYPE.ANY, TYPE.SOA, TYPE.NS, TYPE.AXFR, TYPE.IXFR, TYPE.OPT];
  const opts: (Opt | null)[] = [
    null,
    { size: 0 },
    { size: 511 },
    { size: 512 },
    { size: 800 },
    { size: 1232 },
    { size: 1400, do: true },
    { size: 4096 },
    { size: 65_535 },
    { size: 4096, version: 1 },
    { size: 2048, options: padding(200) },
  ];
  const wellFormed: { packet: Buffer; opt: Opt | null }[] = [];
  // One question: every name × type × EDNS variant, and other classes and types.
  for (const name of names)
    for (const type of [...types, 250, 254, 65, 4242])
      for (const opt of opts) {
        const packet = rawQuery({ questions: [{ name, type }], opt });
        wellFormed.push({ packet, opt });
        add(
          `${name} type ${type} opt ${JSON.stringify(opt)}`,
          packet,
          allowedFor(opt, MAX_PAYLOAD),
        );
      }
  // Answers whose size depends on the maximum, many times over: every answering process gets some.
  for (let i = 0; i < 40; i++)
    for (const opt of [{ size: 4096 }, { size: 1232 }, { size: 1000 }])
      add(
        `mid TXT opt ${JSON.stringify(opt)} (${i})`,
        rawQuery({ questions: [{ name: `mid.alice.${ROOT}`, type: TYPE.TXT }], opt }),
        allowedFor(opt, MAX_PAYLOAD),
      );
  for (const cls of [3, 4, 254, 255])
    add(
      `class ${cls}`,
      rawQuery({ questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT, class: cls }] }),
    );
  // Many questions (the reflector of issue 16: 60 questions ≈ 1.8 KB drew a 64 KB reply).
  for (const count of [2, 3, 10, 60, 300])
    for (const opt of [null, { size: 4096 }, { size: 1232, do: true }]) {
      const questions = Array.from({ length: count }, (_, i) => ({
        name: [`huge.alice.${ROOT}`, `big.alice.${ROOT}`, `www.alice.${ROOT}`][i % 3]!,
        type: i % 2 ? TYPE.ANY : TYPE.TXT,
      }));
      add(
        `${count} questions opt ${JSON.stringify(opt)}`,
        rawQuery({ questions, opt }),
        allowedFor(opt, MAX_PAYLOAD),
      );
    }
  // Many questions compressed to a pointer at a long first name: a small query that an answerer
  // repeating every question in full would amplify ~37 times (the query of issue 16).
  const longName = `${Array.from({ length: 3 }, () => 'x'.repeat(63)).join('.')}.alice.${ROOT}`;
  for (const opt of [null, { size: 4096 }]) {
    const questions = [
      { name: longName, type: TYPE.TXT },
      ...Array.from({ length: 280 }, () => ({ name: Buffer.from([0xc0, 12]), type: TYPE.TXT })),
    ];
    add(
      `280 compressed questions opt ${JSON.stringify(opt)}`,
      rawQuery({ questions, opt }),
      allowedFor(opt, MAX_PAYLOAD),
    );
  }
  // Other opcodes (IQUERY, STATUS, NOTIFY, UPDATE, unassigned), with one question and with many.
  for (const opcode of [1, 2, 4, 5, 15])
    for (const count of [1, 60])
      add(
        `opcode ${opcode}, ${count} questions`,
        rawQuery({
          flags: (opcode << 11) | 0x0100,
          questions: Array.from({ length: count }, () => ({
            name: `huge.alice.${ROOT}`,
            type: TYPE.TXT,
          })),
          opt: { size: 4096 },
        }),
        MAX_PAYLOAD,
      );
  // Every prefix of a few queries (truncated packets).
  for (const whole of [
    rawQuery({ questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }], opt: { size: 4096 } }),
    rawQuery({ questions: [{ name: `www.alice.${ROOT}`, type: TYPE.A }] }),
  ])
    for (let len = 0; len < whole.length; len++)
      add(`prefix ${len} of ${whole.length}`, whole.subarray(0, len));
  // Bad label lengths and names.
  for (const first of [64, 65, 100, 127, 128, 191, 192 + 63, 255])
    add(
      `label length ${first}`,
      rawQuery({ questions: [{ name: Buffer.from([first, 0x61, 0x62, 0]), type: TYPE.A }] }),
    );
  add(
    'label running past the end',
    rawQuery({ questions: [], counts: { qd: 1 }, tail: Buffer.from([40, 0x61, 0x62]) }),
  );
  const long = Buffer.concat([
    ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 0x61)])),
    Buffer.from([0]),
  ]);
  add('a 321-byte name', rawQuery({ questions: [{ name: long, type: TYPE.A }] }));
  // Compression pointers: to itself, into the header, forward, loops in the other sections.
  add(
    'question name points at itself',
    rawQuery({ questions: [{ name: Buffer.from([0xc0, 12]), type: TYPE.A }] }),
  );
  add(
    'question name points into the header',
    rawQuery({ questions: [{ name: Buffer.from([0xc0, 2]), type: TYPE.A }] }),
  );
  add(
    'question name points forward',
    rawQuery({ questions: [{ name: Buffer.from([0xc0, 40]), type: TYPE.A }] }),
  );
  const loopRecord = Buffer.from([0xc0, 0x30, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
  for (const section of ['an', 'ns', 'ar'] as const)
    add(
      `a record with a pointer loop in ${section}`,
      rawQuery({
        questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }],
        counts: { [section]: 1 },
        tail: loopRecord,
      }),
    );
  add(
    'an OPT owned by a pointer',
    rawQuery({
      questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }],
      counts: { ar: 1 },
      tail: Buffer.concat([
        Buffer.from([0xc0, 12]),
        Buffer.from(rawQuery({ questions: [], opt: { size: 4096 } }).subarray(13)),
      ]),
    }),
  );
  add(
    'two OPT records',
    rawQuery({
      questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }],
      opt: { size: 4096 },
      counts: { ar: 2 },
      tail: rawQuery({ questions: [], opt: { size: 4096 } }).subarray(12),
    }),
    MAX_PAYLOAD,
  );
  // Huge counts in the header.
  for (const counts of [
    { qd: 65_535 },
    { an: 65_535 },
    { ns: 65_535 },
    { ar: 65_535 },
    { qd: 65_535, an: 65_535, ns: 65_535, ar: 65_535 },
  ])
    for (const opt of [null, { size: 4096 }])
      add(
        `counts ${JSON.stringify(counts)} opt ${JSON.stringify(opt)}`,
        rawQuery({ questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }], counts, opt }),
        allowedFor(opt, MAX_PAYLOAD),
      );
  // Responses (QR set) are not answered at all; they are in the corpus to show that.
  add(
    'a response',
    rawQuery({ flags: 0x8100, questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }] }),
  );
  // Random bytes, and well-formed queries with random bytes changed.
  for (let i = 0; i < 300; i++)
    add(`random ${i}`, Buffer.from(Array.from({ length: int(700) }, () => int(256))));
  for (let i = 0; i < 400; i++) {
    const { packet, opt } = wellFormed[int(wellFormed.length)]!;
    const mutated = Buffer.from(packet);
    for (let n = 1 + int(3); n > 0; n--) mutated[2 + int(mutated.length - 2)] = int(256);
    add(`mutation ${i}`, mutated, opt ? MAX_PAYLOAD : 512);
  }
  return cases;
}

/** Check every reply; returns the rcodes and flags seen, to show the corpus reached every path. */
function checkReplies(cases: Case[], replies: (Buffer | null)[]) {
  const seen = new Set<string>();
  const problems: string[] = [];
  cases.forEach((c, i) => {
    const reply = replies[i];
    const query = c.packet;
    const expectsReply = query.length >= 12 && (query[2]! & 0x80) === 0;
    if (!reply) {
      if (expectsReply) problems.push(`${c.label}: no reply`);
      return;
    }
    if (!expectsReply) problems.push(`${c.label}: a reply to what is not a query`);
    const r = replyInfo(reply);
    seen.add(RCODE_NAMES[r.rcode] ?? String(r.rcode));
    if (r.tc) seen.add('TC');
    if (r.an > 0) seen.add('answers');
    if (reply.length > c.allowed)
      problems.push(
        `${c.label}: ${reply.length}-byte reply to a ${query.length}-byte query (allowed ${c.allowed})`,
      );
    if (r.qd > 1) problems.push(`${c.label}: ${r.qd} questions in the reply`);
    if (r.question && !r.question.equals(query.subarray(12, 12 + r.question.length)))
      problems.push(`${c.label}: the reply's question is not the query's first question`);
    const error = r.rcode !== 0 && r.rcode !== 3;
    if (error && r.an + r.ns > 0) problems.push(`${c.label}: an error reply with records`);
  });
  return { seen, problems };
}

describe.each([
  [0, 1232],
  [1, 1232],
  [1, 700],
])('UDP replies with %i UDP worker(s), DNS_UDP_MAX_PAYLOAD=%i', (udpWorkers, maxPayload) => {
  let server: EmbeddedDnsServer;

  beforeAll(async () => {
    server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: [`ns1.${ROOT}`],
      host: '127.0.0.1',
      port: 0,
      udpWorkers,
      limits: { udpMaxPayload: maxPayload },
      source: staticSource(RECORDS),
      logger: silentLogger,
    });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('every reply to the corpus fits the size rule and carries at most the first question', async () => {
    const cases = corpus(maxPayload);
    const replies = await udpExchange(
      server.port,
      cases.map((c) => c.packet),
    );
    const { seen, problems } = checkReplies(cases, replies);
    expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);
    for (const outcome of ['NOERROR', 'NXDOMAIN', 'FORMERR', 'NOTIMP', 'REFUSED', 'TC', 'answers'])
      expect(seen, outcome).toContain(outcome);
    // Both processes answered part of the corpus (the kernel spreads datagrams over every reader).
    if (udpWorkers > 0) expect(server.udpQueries, 'read by the parent').toBeLessThan(cases.length);
    expect(server.udpQueries).toBeGreaterThan(0);
  });

  test('the answers themselves: a big TXT is truncated over UDP and whole over TCP', async () => {
    const q = (opt: Opt | null) =>
      rawQuery({ questions: [{ name: `huge.alice.${ROOT}`, type: TYPE.TXT }], opt });
    const [plain, edns] = await udpExchange(server.port, [q(null), q({ size: 4096 })]);
    expect(replyInfo(plain!)).toMatchObject({ tc: true, an: 0, qd: 1 });
    expect(replyInfo(edns!)).toMatchObject({ tc: true, an: 0, qd: 1, ar: 1 });
    const mid = await udpExchange(server.port, [
      rawQuery({ questions: [{ name: `mid.alice.${ROOT}`, type: TYPE.TXT }], opt: { size: 1232 } }),
    ]);
    // ~1.1 KB: whole under the default maximum, truncated under a smaller one.
    const fits = maxPayload >= 1232;
    expect(replyInfo(mid[0]!)).toMatchObject({ tc: !fits, an: fits ? 6 : 0 });
    // Our OPT record advertises the configured maximum.
    expect(mid[0]!.readUInt16BE(mid[0]!.length - 8)).toBe(maxPayload);
    const [whole] = await tcpExchange(server.port, [q(null)]);
    expect(replyInfo(whole!)).toMatchObject({ tc: false, an: 200 });
    // Over TCP too, an error reply carries at most the first question.
    const many = rawQuery({
      questions: Array.from({ length: 60 }, () => ({ name: `huge.alice.${ROOT}`, type: TYPE.TXT })),
    });
    const [formerr] = await tcpExchange(server.port, [many]);
    expect(replyInfo(formerr!)).toMatchObject({ rcode: 1, qd: 1, an: 0 });
  });
});

/** dig, asynchronously (the server under test lives in this process), with its YAML output. */
function digYaml(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'dig',
      ['+norec', '+yaml', '+tries=1', '+time=2', '@127.0.0.1', '-p', String(port), ...args],
      { encoding: 'utf8' },
      (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
          reject(new Error('dig not found: install the Debian package "dnsutils"'));
        else resolve(stdout);
      },
    ),
  );
}

describe('zone transfers', () => {
  let server: EmbeddedDnsServer;

  beforeAll(async () => {
    server = new EmbeddedDnsServer({
      origin: ROOT,
      nameservers: [`ns1.${ROOT}`],
      host: '127.0.0.1',
      port: 0,
      source: staticSource(RECORDS),
      logger: silentLogger,
    });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  test.each([
    ['AXFR over TCP', ['+tcp', ROOT, 'AXFR'], 'TCP'],
    ['IXFR over TCP', ['+tcp', ROOT, 'IXFR=1'], 'TCP'],
    ['IXFR over UDP', ['+notcp', ROOT, 'IXFR=1'], 'UDP'],
  ])('%s is REFUSED (dig)', async (_label, args, protocol) => {
    const out = await digYaml(server.port, args);
    expect(out).toContain(`socket_protocol: ${protocol}`);
    expect(out).toMatch(/status: REFUSED/);
    expect(out).toMatch(/ANSWER: 0/);
  });

  test('AXFR over UDP is REFUSED (dig always uses TCP for AXFR: a raw query)', async () => {
    const [reply] = await udpExchange(server.port, [
      rawQuery({ questions: [{ name: wireName(ROOT), type: TYPE.AXFR }] }),
    ]);
    expect(replyInfo(reply!)).toMatchObject({ rcode: 5, qd: 1, an: 0, ns: 0 });
  });
});
