/**
 * The renewal-timing maths: the fallback point for long and short lifetimes, the spread band's bounds,
 * the choice inside an ARI window, Retry-After clamping and error backoff.
 */
import { describe, expect, it } from 'vitest';
import {
  ARI_DEFAULT_CHECK_MS,
  ARI_MAX_CHECK_MS,
  ARI_MIN_CHECK_MS,
  DAY_MS,
  SPREAD_FRACTION,
  chooseInWindow,
  errorBackoff,
  fallbackBand,
  fallbackPoint,
  fallbackRenewAt,
  nextCheckAfter,
  remainingFraction,
  spreadOf,
} from '../../src/domain/certificates/renewal-timing.js';

const T0 = Date.UTC(2027, 1, 10);
const HOUR = 3_600_000;

describe('fallback renewal point', () => {
  it('long lifetimes renew when the configured share remains (a third by default)', () => {
    expect(remainingFraction(90 * DAY_MS, 0.33)).toBe(0.33);
    expect(fallbackPoint(T0, T0 + 90 * DAY_MS, 0.33)).toBe(T0 + 90 * DAY_MS - 0.33 * 90 * DAY_MS);
    // 45-day tlsserver/classic-2028 certificates: 14.85 days before expiry.
    expect(T0 + 45 * DAY_MS - fallbackPoint(T0, T0 + 45 * DAY_MS, 0.33)).toBe(
      Math.floor(0.33 * 45 * DAY_MS),
    );
    // Exactly 10 days is not "short".
    expect(remainingFraction(10 * DAY_MS, 0.33)).toBe(0.33);
  });

  it('lifetimes under 10 days renew at half, or at the configured share when it is larger', () => {
    expect(remainingFraction(6 * DAY_MS, 0.33)).toBe(0.5);
    expect(remainingFraction(10 * DAY_MS - 1, 0.33)).toBe(0.5);
    expect(remainingFraction(6 * DAY_MS, 0.7)).toBe(0.7);
    expect(fallbackPoint(T0, T0 + 6 * DAY_MS, 0.33)).toBe(T0 + 3 * DAY_MS);
  });

  it('the spread band ends at the point and is a tenth of the lifetime wide', () => {
    for (const days of [90, 64, 45, 6]) {
      const to = T0 + days * DAY_MS;
      const band = fallbackBand(T0, to, 0.33);
      expect(band.end).toBe(fallbackPoint(T0, to, 0.33));
      expect(band.end - band.start).toBe(Math.floor(SPREAD_FRACTION * days * DAY_MS));
    }
    // 90 days: renewal between 51 and ~60.3 days after issuance.
    const b90 = fallbackBand(T0, T0 + 90 * DAY_MS, 0.33);
    expect(b90.start).toBe(T0 + Math.ceil(90 * DAY_MS - 0.33 * 90 * DAY_MS - 9 * DAY_MS));
    // 6 days: between 1.5 days (minus 14.4 h from 3 days) and 3 days.
    const b6 = fallbackBand(T0, T0 + 6 * DAY_MS, 0.33);
    expect(b6).toEqual({ start: T0 + 3 * DAY_MS - 14.4 * HOUR, end: T0 + 3 * DAY_MS });
  });

  it('a large configured share narrows the band so it never reaches back to issuance', () => {
    // 90 % remaining: the point is 9 days after issuance; the band is half of that, not 9 days.
    const b = fallbackBand(T0, T0 + 90 * DAY_MS, 0.9);
    expect(b.end).toBe(T0 + 9 * DAY_MS);
    expect(b.start).toBe(T0 + 4.5 * DAY_MS);
    expect(b.start).toBeGreaterThan(T0);
  });

  it('the spread renewal time covers the band uniformly and stays inside it', () => {
    const to = T0 + 90 * DAY_MS;
    const { start, end } = fallbackBand(T0, to, 0.33);
    expect(fallbackRenewAt(T0, to, 0.33, 0)).toBe(start);
    expect(fallbackRenewAt(T0, to, 0.33, 0.999999)).toBeLessThanOrEqual(end);
    expect(fallbackRenewAt(T0, to, 0.33, 0.999999)).toBeGreaterThan(end - 60_000);
    // Out-of-range numbers are clamped, never outside the band.
    expect(fallbackRenewAt(T0, to, 0.33, 1.5)).toBeLessThanOrEqual(end);
    expect(fallbackRenewAt(T0, to, 0.33, -1)).toBe(start);
    expect(fallbackRenewAt(T0, to, 0.33, Number.NaN)).toBe(start);
    // A class of 300 requesting together: spread over the whole band, about evenly per tenth.
    const times = Array.from({ length: 300 }, () => fallbackRenewAt(T0, to, 0.33, Math.random()));
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(end);
    }
    const buckets = new Array(10).fill(0) as number[];
    for (const t of times) buckets[Math.min(9, Math.floor(((t - start) / (end - start)) * 10))]!++;
    for (const n of buckets) expect(n).toBeGreaterThan(5);
  });

  it('rows issued before renewal times were stored get a fixed, well-spread number from their id', () => {
    expect(spreadOf(7)).toBe(spreadOf(7));
    const values = Array.from({ length: 100 }, (_, i) => spreadOf(i + 1));
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    expect(Math.min(...values)).toBeLessThan(0.05);
    expect(Math.max(...values)).toBeGreaterThan(0.95);
  });
});

describe('ARI window choice', () => {
  const w = { start: T0 + 10 * DAY_MS, end: T0 + 12 * DAY_MS };

  it('a random time inside a future window', () => {
    expect(chooseInWindow(w, null, T0, 0)).toBe(w.start);
    expect(chooseInWindow(w, null, T0, 0.5)).toBe(T0 + 11 * DAY_MS);
    const t = chooseInWindow(w, null, T0, 0.9999);
    expect(t).toBeLessThanOrEqual(w.end);
    expect(t).toBeGreaterThan(w.start);
  });

  it('keeps the current time when it is already inside the new window (no jitter between polls)', () => {
    const current = T0 + 11.3 * DAY_MS;
    expect(chooseInWindow(w, current, T0, 0.01)).toBe(current);
    expect(chooseInWindow(w, w.start, T0, 0.9)).toBe(w.start);
    expect(chooseInWindow(w, w.end, T0, 0.1)).toBe(w.end);
    // Outside (the fallback point, or an older window): chosen anew.
    expect(chooseInWindow(w, T0 + 20 * DAY_MS, T0, 0)).toBe(w.start);
    expect(chooseInWindow(w, T0 + 5 * DAY_MS, T0, 0)).toBe(w.start);
  });

  it('a window that has begun: between now and its end; one that is over: at once', () => {
    const now = T0 + 11 * DAY_MS;
    expect(chooseInWindow(w, null, now, 0)).toBe(now);
    expect(chooseInWindow(w, null, now, 0.5)).toBe(now + 0.5 * DAY_MS);
    expect(chooseInWindow(w, null, T0 + 13 * DAY_MS, 0.5)).toBe(T0 + 13 * DAY_MS);
    expect(chooseInWindow(w, T0 + 20 * DAY_MS, w.end, 0.5)).toBe(w.end);
  });
});

describe('Retry-After and backoff', () => {
  it('clamps Retry-After to [1 minute, 12 hours]; 6 hours without one', () => {
    expect(nextCheckAfter(6 * HOUR)).toBe(6 * HOUR);
    expect(nextCheckAfter(0)).toBe(ARI_MIN_CHECK_MS);
    expect(nextCheckAfter(5_000)).toBe(60_000);
    // RFC 9773 would allow a day; Let's Encrypt asks for at least twice a day.
    expect(nextCheckAfter(86_400_000)).toBe(ARI_MAX_CHECK_MS);
    expect(ARI_MAX_CHECK_MS).toBe(12 * HOUR);
    expect(nextCheckAfter(7 * 86_400_000)).toBe(12 * HOUR);
    expect(nextCheckAfter(null)).toBe(ARI_DEFAULT_CHECK_MS);
    expect(nextCheckAfter(Number.POSITIVE_INFINITY)).toBe(ARI_DEFAULT_CHECK_MS);
  });

  it('errors back off exponentially from 5 minutes up to 12 hours, honouring a longer Retry-After', () => {
    expect([1, 2, 3, 4].map((n) => errorBackoff(n))).toEqual([
      5 * 60_000,
      10 * 60_000,
      20 * 60_000,
      40 * 60_000,
    ]);
    expect(errorBackoff(9)).toBe(12 * HOUR);
    expect(errorBackoff(1000)).toBe(12 * HOUR);
    expect(errorBackoff(1, 2 * HOUR)).toBe(2 * HOUR);
    expect(errorBackoff(1, 3 * 86_400_000)).toBe(12 * HOUR);
  });
});
