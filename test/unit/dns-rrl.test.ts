/** Response rate limiting of the built-in DNS server: token buckets per source prefix, with slip. */
import { describe, expect, test } from 'vitest';
import {
  RRL_DROP,
  RRL_SEND,
  RRL_SLIP,
  ResponseRateLimiter,
  prefixHash,
  udpRules,
  DEFAULT_DNS_LIMITS,
} from '../../src/adapters/dns/limits.js';

/** A limiter on a clock the test moves. */
function limiter(rate: number, slip: number) {
  let now = 1_000_000;
  const l = new ResponseRateLimiter(rate, slip, () => now);
  return {
    check: (address: string) => l.check(address),
    advance: (ms: number) => (now += ms),
  };
}
const verdicts = (check: () => number, n: number) => Array.from({ length: n }, check);

describe('ResponseRateLimiter', () => {
  test('a prefix gets one second of responses at once, then the rate; every slip-th limited one slips', () => {
    const l = limiter(10, 2);
    expect(verdicts(() => l.check('192.0.2.1'), 10)).toEqual(Array(10).fill(RRL_SEND));
    expect(verdicts(() => l.check('192.0.2.1'), 6)).toEqual([
      RRL_DROP,
      RRL_SLIP,
      RRL_DROP,
      RRL_SLIP,
      RRL_DROP,
      RRL_SLIP,
    ]);
    l.advance(300); // three more tokens
    expect(verdicts(() => l.check('192.0.2.1'), 4)).toEqual([
      RRL_SEND,
      RRL_SEND,
      RRL_SEND,
      RRL_DROP,
    ]);
    l.advance(60_000); // refilled, but never beyond one second's worth
    expect(verdicts(() => l.check('192.0.2.1'), 11).filter((v) => v === RRL_SEND)).toHaveLength(10);
  });

  test('slip 0 drops every limited response, slip 1 sends every one as TC', () => {
    const none = limiter(1, 0);
    none.check('192.0.2.1');
    expect(verdicts(() => none.check('192.0.2.1'), 4)).toEqual(Array(4).fill(RRL_DROP));
    const all = limiter(1, 1);
    all.check('192.0.2.1');
    expect(verdicts(() => all.check('192.0.2.1'), 4)).toEqual(Array(4).fill(RRL_SLIP));
  });

  test('addresses of one /24 (IPv4) or /56 (IPv6) share a bucket; other prefixes are not affected', () => {
    const l = limiter(2, 1);
    expect([l.check('198.51.100.1'), l.check('198.51.100.200')]).toEqual([RRL_SEND, RRL_SEND]);
    expect(l.check('::ffff:198.51.100.7')).toBe(RRL_SLIP); // IPv4-mapped: the same /24
    expect(l.check('198.51.101.1')).toBe(RRL_SEND);
    expect([l.check('2001:db8:0:100::1'), l.check('2001:db8:0:1ff:ffff::2')]).toEqual([
      RRL_SEND,
      RRL_SEND,
    ]);
    expect(l.check('2001:0db8:0000:01aa::3')).toBe(RRL_SLIP);
    expect(l.check('2001:db8:0:200::1')).toBe(RRL_SEND);
    expect(l.check('2001:db8::1')).toBe(RRL_SEND);
  });

  test('a flood from a million prefixes neither grows the table nor evicts a limited prefix for good', () => {
    const l = limiter(5, 0);
    for (let i = 0; i < 5; i++) l.check('203.0.113.9');
    expect(l.check('203.0.113.9')).toBe(RRL_DROP);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++)
      l.check(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(20_000_000);
    // The limited prefix is still limited or, if a newer prefix took its slot, starts a fresh bucket:
    // either way it gets at most one second's worth at once.
    expect(
      verdicts(() => l.check('203.0.113.9'), 20).filter((v) => v === RRL_SEND).length,
    ).toBeLessThanOrEqual(5);
  });

  test('prefixHash: the same prefix hashes the same whatever the host part', () => {
    const seed = 42;
    expect(prefixHash('192.0.2.1', seed)).toBe(prefixHash('192.0.2.254', seed));
    expect(prefixHash('192.0.2.1', seed)).not.toBe(prefixHash('192.0.3.1', seed));
    expect(prefixHash('2001:db8:1:2300::1', seed)).toBe(prefixHash('2001:db8:1:23ff::1', seed));
    expect(prefixHash('2001:db8:1:2300::1', seed)).not.toBe(prefixHash('2001:db8:1:2400::1', seed));
  });

  test('the server and its UDP workers share the rate: each process allows its part', () => {
    const limits = { ...DEFAULT_DNS_LIMITS, rrlResponsesPerSecond: 50 };
    expect(udpRules(limits, 1).rrlResponsesPerSecond).toBe(50);
    expect(udpRules(limits, 2).rrlResponsesPerSecond).toBe(25);
    expect(udpRules(DEFAULT_DNS_LIMITS, 3).rrlResponsesPerSecond).toBe(0);
  });
});
