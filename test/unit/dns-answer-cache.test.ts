/**
 * The built-in DNS server's answer cache: keyed on what determines an answer's bytes (not on the whole
 * query packet), bounded in bytes, and every reply from it carries the asker's id and spelling.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, test } from 'vitest';
import { Zone, type ZoneRecord, ZoneResponder } from '../../src/adapters/dns/zone-responder.js';
import { TYPE, padding, rawQuery, replyInfo } from '../support/dns-wire.js';

const ROOT = 'starchart.test';
const RECORDS: ZoneRecord[] = [
  ...Array.from({ length: 50 }, (_, i) => ({
    name: `host${i}.alice.${ROOT}`,
    type: 'A' as const,
    value: `192.0.2.${i}`,
  })),
  { name: `web.alice.${ROOT}`, type: 'CNAME', value: `host1.alice.${ROOT}` },
];
const zone = () =>
  new Zone({ origin: ROOT, serial: 1, nameservers: [`ns1.${ROOT}`], records: RECORDS });

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const memory = () => {
  // Twice: the first collection only schedules some Buffers' memory to be freed.
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/** The name with each letter's case chosen by the bits of `n`. */
const spell = (name: string, n: number) =>
  [...name].map((c, i) => ((n >> (i % 24)) & 1 ? c.toUpperCase() : c)).join('');

describe('answer cache', () => {
  test('10,000 unique queries with 16 KB of padding stay within the byte bound', () => {
    const bound = 256 * 1024;
    const responder = new ZoneResponder(zone(), { cacheMaxBytes: bound });
    const before = memory();
    let wrongIds = 0;
    for (let i = 0; i < 10_000; i++) {
      const query = rawQuery({
        id: i & 0xffff,
        questions: [{ name: spell(`host${i % 50}.alice.${ROOT}`, i), type: TYPE.A }],
        opt: { size: 512 + (i % 2000), options: padding(16_000 + (i % 500)) },
      });
      const reply = responder.respond(query, i % 3 ? 'udp' : 'tcp')!;
      if (replyInfo(reply).id !== (i & 0xffff)) wrongIds++;
    }
    // The cache that keyed on whole packets kept each 16 KB query as its key: 160 MB here.
    const grown = memory() - before;
    expect(grown, `${(grown / 1e6).toFixed(1)} MB`).toBeLessThan(8_000_000);
    expect(wrongIds).toBe(0);
    expect(responder.cacheBytes).toBeGreaterThan(0);
    expect(responder.cacheBytes).toBeLessThanOrEqual(bound);
  });

  test('the same question with another id, spelling or padding is a hit with the asker’s id and spelling', () => {
    const responder = new ZoneResponder(zone());
    const ask = (id: number, name: string, extra: Parameters<typeof rawQuery>[0]['opt'] = null) =>
      responder.respond(rawQuery({ id, questions: [{ name, type: TYPE.A }], opt: extra }), 'udp')!;
    const first = ask(1, `web.alice.${ROOT}`);
    expect(responder.stats).toEqual({ hits: 0, misses: 1 });
    const again = ask(2, `WeB.ALICE.starchart.TEST`);
    expect(responder.stats).toEqual({ hits: 1, misses: 1 });
    expect(replyInfo(again).id).toBe(2);
    // The question and the CNAME it owns are spelled like the asker; the rest is byte for byte the same.
    const spelled = Buffer.from(`WeB\x05ALICE\x09starchart\x04TEST`, 'latin1');
    expect(again.indexOf(spelled)).toBe(13);
    expect(again.indexOf(spelled, 14)).toBeGreaterThan(13);
    expect(again.subarray(2).toString('latin1').toLowerCase()).toBe(
      first.subarray(2).toString('latin1').toLowerCase(),
    );
    // EDNS: the padding does not matter, nor a size above the server's maximum; the size limit does.
    ask(3, `web.alice.${ROOT}`, { size: 1232, options: padding(10) });
    ask(4, `web.alice.${ROOT}`, { size: 4096, options: padding(300) });
    expect(responder.stats).toEqual({ hits: 2, misses: 2 });
    ask(5, `web.alice.${ROOT}`, { size: 700 });
    ask(6, `web.alice.${ROOT}`, { size: 1232, do: true });
    expect(responder.stats).toEqual({ hits: 2, misses: 4 });
  });

  test('entries go oldest first when the bound is reached; a changed zone empties the cache', () => {
    const responder = new ZoneResponder(zone(), { cacheMaxBytes: 2000 });
    const ask = (i: number) =>
      responder.respond(
        rawQuery({ questions: [{ name: `host${i}.alice.${ROOT}`, type: TYPE.A }] }),
        'udp',
      )!;
    for (let i = 0; i < 50; i++) expect(replyInfo(ask(i)).an).toBe(1);
    expect(responder.cacheBytes).toBeLessThanOrEqual(2000);
    const held = responder.cacheEntries;
    expect(held).toBeGreaterThan(1);
    expect(held).toBeLessThan(50);
    const { hits, misses } = responder.stats;
    ask(49); // among the newest: still there
    expect(responder.stats).toEqual({ hits: hits + 1, misses });
    ask(0); // the oldest: evicted long ago, built again
    expect(responder.stats).toEqual({ hits: hits + 1, misses: misses + 1 });
    responder.patch(2, [{ name: `host0.alice.${ROOT}`, subtree: false }], []);
    expect([responder.cacheEntries, responder.cacheBytes]).toEqual([0, 0]);
    expect(replyInfo(ask(0)).rcode).toBe(3);
  });

  test('DNS_CACHE_MAX_BYTES=0 caches nothing', () => {
    const responder = new ZoneResponder(zone(), { cacheMaxBytes: 0 });
    for (let i = 0; i < 3; i++)
      responder.respond(
        rawQuery({ questions: [{ name: `host1.alice.${ROOT}`, type: TYPE.A }] }),
        'udp',
      );
    expect(responder.stats).toEqual({ hits: 0, misses: 3 });
    expect(responder.cacheEntries).toBe(0);
  });
});
