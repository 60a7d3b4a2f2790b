import { describe, expect, it } from 'vitest';
import { expectedLifetimeMs, isShortLived } from '../../src/domain/certificates/profiles.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe('expected certificate lifetime by profile and date', () => {
  it('classic (and no profile, and unknown names) is 90 days before 2027-02-10 UTC', () => {
    for (const p of [null, 'classic', 'some-future-profile'])
      expect(expectedLifetimeMs(p, at('2027-02-09T23:59:59.999Z'))).toBe(90 * DAY);
    expect(expectedLifetimeMs(null, at('2026-12-07T00:00:00Z'))).toBe(90 * DAY);
  });

  it('classic is 64 days from 2027-02-10T00:00Z until 2028-02-16', () => {
    expect(expectedLifetimeMs('classic', at('2027-02-10T00:00:00Z'))).toBe(64 * DAY);
    expect(expectedLifetimeMs(null, at('2028-02-15T23:59:59.999Z'))).toBe(64 * DAY);
  });

  it('classic is 45 days from 2028-02-16T00:00Z', () => {
    expect(expectedLifetimeMs('classic', at('2028-02-16T00:00:00Z'))).toBe(45 * DAY);
    expect(expectedLifetimeMs(null, at('2030-01-01T00:00:00Z'))).toBe(45 * DAY);
  });

  it('tlsserver is 45 days and shortlived 160 hours whatever the date', () => {
    for (const d of ['2026-01-01T00:00:00Z', '2027-06-01T00:00:00Z', '2029-01-01T00:00:00Z']) {
      expect(expectedLifetimeMs('tlsserver', at(d))).toBe(45 * DAY);
      expect(expectedLifetimeMs('shortlived', at(d))).toBe(160 * 3_600_000);
    }
  });

  it('short-lived means under 10 days', () => {
    expect(isShortLived(expectedLifetimeMs('shortlived', Date.now()))).toBe(true);
    expect(isShortLived(10 * DAY - 1)).toBe(true);
    expect(isShortLived(10 * DAY)).toBe(false);
    expect(isShortLived(expectedLifetimeMs('tlsserver', Date.now()))).toBe(false);
  });
});
