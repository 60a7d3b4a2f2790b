/**
 * What the records page lists: the owner's records searched by name or value, filtered by type and
 * sorted by name, type or expiry. The query comes from a query string anyone can type, so it is
 * validated here: a bad value is INVALID_INPUT with a sentence saying what is allowed (a 400 page),
 * never a database error.
 */
import { AppError } from '../../errors.js';
import { RECORD_TYPES, type RecordType, isRecordType } from './types.js';

export const RECORD_SORTS = ['name', 'type', 'expiry'] as const;
export type RecordSort = (typeof RECORD_SORTS)[number];

/** The longest search text (a TXT value is searched by a part of it, never pasted whole). */
export const SEARCH_MAX = 200;

export interface RecordListQuery {
  /** Lowercased text to find in the name or the value; '' = everything. */
  search: string;
  type: RecordType | null;
  sort: RecordSort;
}

export const DEFAULT_LIST_QUERY: RecordListQuery = { search: '', type: null, sort: 'name' };

export const isDefaultListQuery = (q: RecordListQuery) =>
  q.search === '' && q.type === null && q.sort === 'name';

/** `?q=&type=&sort=` as typed (undefined when absent). */
export interface RawListQuery {
  q?: string | undefined;
  type?: string | undefined;
  sort?: string | undefined;
}

/**
 * Parse the list query. `q` may be a whole name (`www.alice.example.edu`): the owner's base domain and
 * a trailing dot are dropped so it finds `www`. Throws INVALID_INPUT with a field error per bad value.
 */
export function parseRecordListQuery(raw: RawListQuery, baseDomain: string): RecordListQuery {
  const fields: Record<string, string> = {};
  let search = (raw.q ?? '').trim().toLowerCase();
  if (search.length > SEARCH_MAX)
    fields.q = `Search for at most ${SEARCH_MAX} characters (a part of a name or value is enough).`;
  else if (/\p{Cc}/u.test(search)) fields.q = 'Search text cannot contain control characters.';
  search = search.replace(/\.$/, '');
  const suffix = `.${baseDomain.toLowerCase()}`;
  if (search.endsWith(suffix) && search.length > suffix.length)
    search = search.slice(0, -suffix.length);
  else if (search === baseDomain.toLowerCase()) search = '';

  const rawType = (raw.type ?? '').trim().toUpperCase();
  let type: RecordType | null = null;
  if (rawType !== '' && rawType !== 'ALL') {
    if (isRecordType(rawType)) type = rawType;
    else
      fields.type = `Filter by one of the types ${RECORD_TYPES.join(', ')}, or leave it empty for all types.`;
  }

  const rawSort = (raw.sort ?? '').trim().toLowerCase();
  let sort: RecordSort = 'name';
  if (rawSort !== '') {
    if ((RECORD_SORTS as readonly string[]).includes(rawSort)) sort = rawSort as RecordSort;
    else fields.sort = `Sort by ${RECORD_SORTS.join(', ')}.`;
  }

  const problems = Object.values(fields);
  if (problems.length > 0) throw new AppError('INVALID_INPUT', problems.join(' '), fields);
  return { search, type, sort };
}

/** The query string of a list query (with a page), for links that keep the list as it is shown. */
export function listQueryString(q: RecordListQuery, page = 1): string {
  const p = new URLSearchParams();
  if (q.search) p.set('q', q.search);
  if (q.type) p.set('type', q.type);
  if (q.sort !== 'name') p.set('sort', q.sort);
  if (page > 1) p.set('page', String(page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A LIKE pattern that finds `text` anywhere, with `!` as the escape character (both dialects). */
export const containsPattern = (text: string) => `%${text.replace(/[!%_]/g, '!$&')}%`;

const DAY_MS = 86_400_000;

export type ExpiryState = 'expired' | 'soon' | 'ok';

/**
 * "Expiring soon" is the reminder window: from the first reminder email (the largest of
 * REMINDER_THRESHOLDS_DAYS, 30 days by default) until expiry.
 */
export function expiryState(
  expiresAt: number,
  now: number,
  reminderThresholdsDays: readonly number[],
): ExpiryState {
  if (expiresAt <= now) return 'expired';
  const window = Math.max(0, ...reminderThresholdsDays) * DAY_MS;
  return expiresAt - now <= window ? 'soon' : 'ok';
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "in 5 hours", "tomorrow", "in 3 days", "in 6 months", "2 days ago" (for people; rounded). */
export function relativeExpiry(expiresAt: number, now: number): string {
  const diff = expiresAt - now;
  const abs = Math.abs(diff);
  if (abs < DAY_MS) {
    const hours = Math.round(diff / 3_600_000);
    if (hours === 0) return diff >= 0 ? 'within the hour' : 'just now';
    return relative.format(hours, 'hour');
  }
  if (abs < 45 * DAY_MS) return relative.format(Math.round(diff / DAY_MS), 'day');
  return relative.format(Math.round(diff / (30.44 * DAY_MS)), 'month');
}
