import { describe, expect, it } from 'vitest';
import {
  containsPattern,
  expiryState,
  listQueryString,
  parseRecordListQuery,
  relativeExpiry,
} from '../../src/domain/dns-records/record-list.js';
import { AppError } from '../../src/errors.js';

const BASE = 'alice.starchart.test';
const DAY = 86_400_000;

describe('records list query', () => {
  it('reads search, type and sort leniently where the meaning is clear', () => {
    expect(parseRecordListQuery({}, BASE)).toEqual({ search: '', type: null, sort: 'name' });
    expect(
      parseRecordListQuery({ q: ' WWW.Alice.Starchart.Test. ', type: 'txt', sort: 'Expiry' }, BASE),
    ).toEqual({
      search: 'www',
      type: 'TXT',
      sort: 'expiry',
    });
    expect(parseRecordListQuery({ q: BASE, type: 'all' }, BASE).search).toBe('');
  });

  it('refuses what it cannot mean, with one sentence per field', () => {
    const fail = (raw: Parameters<typeof parseRecordListQuery>[0]) => {
      try {
        parseRecordListQuery(raw, BASE);
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        return (e as AppError).fields;
      }
      throw new Error('accepted');
    };
    expect(Object.keys(fail({ type: 'SRV', sort: 'size' }))).toEqual(['type', 'sort']);
    expect(fail({ q: 'x'.repeat(201) }).q).toMatch(/at most 200/);
    expect(fail({ q: 'a\u0000b' }).q).toMatch(/control characters/);
  });

  it('keeps the query in links and escapes LIKE wildcards', () => {
    expect(listQueryString({ search: 'a b', type: 'A', sort: 'type' }, 2)).toBe(
      '?q=a+b&type=A&sort=type&page=2',
    );
    expect(listQueryString({ search: '', type: null, sort: 'name' })).toBe('');
    expect(containsPattern('100%_!')).toBe('%100!%!_!!%');
  });

  it('says expiry in words and marks the reminder window', () => {
    const now = Date.UTC(2026, 11, 7);
    expect(relativeExpiry(now + DAY, now)).toBe('tomorrow');
    expect(relativeExpiry(now + 3 * DAY, now)).toBe('in 3 days');
    expect(relativeExpiry(now + 5 * 3_600_000, now)).toBe('in 5 hours');
    expect(relativeExpiry(now + 182 * DAY, now)).toBe('in 6 months');
    expect(relativeExpiry(now - 2 * DAY, now)).toBe('2 days ago');
    expect(expiryState(now + 30 * DAY, now, [30, 7, 1])).toBe('soon');
    expect(expiryState(now + 31 * DAY, now, [30, 7, 1])).toBe('ok');
    expect(expiryState(now + 10 * DAY, now, [7])).toBe('ok');
    expect(expiryState(now, now, [30])).toBe('expired');
  });
});
