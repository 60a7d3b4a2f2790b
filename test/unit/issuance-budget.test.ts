/**
 * The issuance budget's pure arithmetic (domain/certificates/budget.ts): token-bucket refill at the
 * published rates, capacity, truthful availability, bookings, Let's Encrypt's renewal exemptions and
 * the registered domain with and without the root on the Public Suffix List.
 */
import { describe, expect, it } from 'vitest';
import {
  type BucketSpec,
  LIMIT_PROFILES,
  availableAt,
  bucketsForOrder,
  decide,
  exactSetHash,
  refill,
  refillIntervalMs,
  registeredDomain,
} from '../../src/domain/certificates/budget.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const WEEK = 7 * 24 * HOUR;
const T0 = 1_800_000_000_000;
const LE = LIMIT_PROFILES.letsencrypt;
const domain = LE['certificates-per-registered-domain'];
const settings = {
  profile: 'letsencrypt' as const,
  rootDomain: 'example.edu',
  rootDomainOnPsl: false,
};

describe('published rates', () => {
  it('refill one token per period / capacity, as limits.md lists', () => {
    expect(refillIntervalMs(LE['new-orders-per-account'])).toBe(36_000);
    expect(refillIntervalMs(domain)).toBe(201.6 * MIN);
    expect(refillIntervalMs(LE['certificates-per-exact-set'])).toBe(33.6 * HOUR);
    expect(refillIntervalMs(LE['failed-authorizations-per-identifier'])).toBe(12 * MIN);
    expect(domain).toEqual({ capacity: 50, periodMs: WEEK });
  });
});

describe('refill', () => {
  const spec: BucketSpec = { capacity: 5, periodMs: 5 * MIN }; // one per minute
  it('starts a missing bucket full', () => {
    expect(refill(null, spec, T0)).toEqual({ level: 5, refilledAt: T0 });
  });
  it('adds whole tokens and keeps the part of an interval already elapsed', () => {
    expect(refill({ level: 0, refilledAt: T0 }, spec, T0 + 2.5 * MIN)).toEqual({
      level: 2,
      refilledAt: T0 + 2 * MIN,
    });
    // Refilling twice is the same as once.
    const once = refill({ level: 0, refilledAt: T0 }, spec, T0 + 3.7 * MIN);
    const twice = refill(
      refill({ level: 0, refilledAt: T0 }, spec, T0 + 1.2 * MIN),
      spec,
      T0 + 3.7 * MIN,
    );
    expect(twice).toEqual(once);
  });
  it('never exceeds capacity, and a full bucket restarts its clock', () => {
    expect(refill({ level: 3, refilledAt: T0 }, spec, T0 + 60 * MIN)).toEqual({
      level: 5,
      refilledAt: T0 + 60 * MIN,
    });
  });
  it('pays back debt (booked orders) before the level turns positive', () => {
    expect(refill({ level: -3, refilledAt: T0 }, spec, T0 + 4 * MIN)).toEqual({
      level: 1,
      refilledAt: T0 + 4 * MIN,
    });
  });
  it('gains nothing when the clock goes backwards', () => {
    expect(refill({ level: 1, refilledAt: T0 }, spec, T0 - HOUR)).toEqual({
      level: 1,
      refilledAt: T0,
    });
  });
});

describe('availableAt', () => {
  it('is now with a token, else when the next token arrives', () => {
    expect(availableAt({ level: 1, refilledAt: T0 }, domain, T0 + 5)).toBe(T0 + 5);
    expect(availableAt({ level: 0, refilledAt: T0 }, domain, T0 + 5)).toBe(T0 + 201.6 * MIN);
  });
  it('with n orders ahead, is when the (n+1)th token arrives', () => {
    expect(availableAt({ level: 0, refilledAt: T0 }, domain, T0, 70)).toBe(T0 + 70 * 201.6 * MIN);
    expect(availableAt({ level: 50, refilledAt: T0 }, domain, T0, 53)).toBe(T0 + 3 * 201.6 * MIN);
  });
  it('is truthful: at the time it names, refill yields the token', () => {
    const s = { level: -4, refilledAt: T0 };
    const at = availableAt(s, domain, T0 + 7 * MIN);
    expect(refill(s, domain, at).level).toBe(1);
    expect(refill(s, domain, at - 1).level).toBe(0);
  });
});

describe('decide', () => {
  const buckets = bucketsForOrder({ identifiers: ['a.example.edu'], kind: 'new' }, settings);
  const keyed = (m: Record<string, { level: number; refilledAt: number }>) =>
    buckets.map((b) => m[b.key.split(':')[0]!] ?? null);

  it('spends one token from each spend bucket and none from the failed-authorization check', () => {
    const d = decide(buckets, keyed({}), T0);
    expect(d.ok).toBe(true);
    const levels = Object.fromEntries(buckets.map((b, i) => [b.limit, d.next[i]!.level]));
    expect(levels).toEqual({
      'new-orders-per-account': 299,
      'certificates-per-registered-domain': 49,
      'certificates-per-exact-set': 4,
      'failed-authorizations-per-identifier': 5,
    });
  });

  it('refuses with the binding limit and spends nothing', () => {
    const d = decide(buckets, keyed({ domain: { level: 0, refilledAt: T0 } }), T0 + MIN);
    expect(d).toMatchObject({
      ok: false,
      limit: 'certificates-per-registered-domain',
      availableAt: T0 + 201.6 * MIN,
      booked: false,
    });
    expect(d.next.map((s) => s.level)).toEqual(
      buckets.map((b) => (b.key.startsWith('domain') ? 0 : b.spec.capacity)),
    );
  });

  it('names the latest limit when several bind', () => {
    const d = decide(
      buckets,
      keyed({ domain: { level: 0, refilledAt: T0 }, authz: { level: 0, refilledAt: T0 } }),
      T0,
    );
    expect(d).toMatchObject({ ok: false, limit: 'certificates-per-registered-domain' });
    const d2 = decide(
      buckets,
      keyed({
        domain: { level: 0, refilledAt: T0 - 200 * MIN },
        authz: { level: 0, refilledAt: T0 },
      }),
      T0,
    );
    expect(d2).toMatchObject({
      ok: false,
      limit: 'failed-authorizations-per-identifier',
      availableAt: T0 + 12 * MIN,
    });
  });

  it('bookings queue up: each later one is covered one interval after the previous', () => {
    let stored = keyed({ domain: { level: 0, refilledAt: T0 } });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = decide(buckets, stored, T0, true);
      expect(d).toMatchObject({ ok: false, booked: true });
      if (!d.ok) times.push(d.availableAt);
      stored = d.next;
    }
    const iv = 201.6 * MIN;
    expect(times).toEqual([T0 + iv, T0 + 2 * iv, T0 + 3 * iv]);
    // An unbooked order now waits behind the three bookings.
    expect(decide(buckets, stored, T0)).toMatchObject({ ok: false, availableAt: T0 + 4 * iv });
    expect(decide(buckets, stored, T0 + 4 * iv).ok).toBe(true);
  });
});

describe('exemptions', () => {
  const limits = (kind: 'new' | 'renewal' | 'ari-renewal') =>
    bucketsForOrder({ identifiers: ['a.example.edu', '*.a.example.edu'], kind }, settings).map(
      (b) => [b.limit, b.mode],
    );
  it('a new order draws from every limit', () => {
    expect(limits('new')).toEqual([
      ['failed-authorizations-per-identifier', 'check'],
      ['certificates-per-registered-domain', 'spend'],
      ['new-orders-per-account', 'spend'],
      ['certificates-per-exact-set', 'spend'],
    ]);
  });
  it('a renewal of the same names skips new orders and the registered domain', () => {
    expect(limits('renewal')).toEqual([
      ['failed-authorizations-per-identifier', 'check'],
      ['certificates-per-exact-set', 'spend'],
    ]);
  });
  it('an ARI renewal (replaces) is exempt from all', () => {
    expect(limits('ari-renewal')).toEqual([]);
  });
  it('profile none budgets nothing', () => {
    expect(
      bucketsForOrder(
        { identifiers: ['a.example.edu'], kind: 'new' },
        { ...settings, profile: 'none' },
      ),
    ).toEqual([]);
  });
  it('a wildcard shares its base name’s authorization bucket; the exact set ignores order and case', () => {
    const keys = bucketsForOrder(
      { identifiers: ['*.A.example.edu.', 'a.example.edu'], kind: 'new' },
      settings,
    ).map((b) => b.key);
    expect(keys.filter((k) => k.startsWith('authz:'))).toEqual(['authz:a.example.edu']);
    expect(exactSetHash(['b.example.edu', 'A.example.edu'])).toBe(
      exactSetHash(['a.example.edu', 'b.example.edu']),
    );
    expect(exactSetHash(['a.example.edu'])).not.toBe(exactSetHash(['*.a.example.edu']));
  });
});

describe('registered domain', () => {
  it('without the PSL entry every user shares the root', () => {
    expect(registeredDomain('alice.example.edu', 'example.edu', false)).toBe('example.edu');
    expect(registeredDomain('*.www.bob.example.edu', 'example.edu', false)).toBe('example.edu');
  });
  it('with the root on the PSL each {user}.{root} is its own', () => {
    expect(registeredDomain('alice.example.edu', 'example.edu', true)).toBe('alice.example.edu');
    expect(registeredDomain('*.www.Bob.example.edu.', 'example.edu', true)).toBe('bob.example.edu');
    const psl = bucketsForOrder(
      { identifiers: ['a.example.edu', 'b.example.edu'], kind: 'new' },
      { ...settings, rootDomainOnPsl: true },
    ).filter((b) => b.limit === 'certificates-per-registered-domain');
    expect(psl.map((b) => b.key)).toEqual(['domain:a.example.edu', 'domain:b.example.edu']);
  });
  it('refuses names outside the root', () => {
    expect(() => registeredDomain('evil.example.com', 'example.edu', true)).toThrow(/not under/);
    expect(() => registeredDomain('notexample.edu', 'example.edu', false)).toThrow(/not under/);
  });
});
