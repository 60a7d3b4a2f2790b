/**
 * The one way routes read numbers from the query string. A query string is typed by anyone: a value is
 * either plain decimal digits or it is ignored, and it is always clamped, so no SQL offset or page count
 * ever sees NaN, a fraction or a number beyond what the databases bind exactly (`?page=1e16` once gave
 * a 500 on both dialects).
 */
import type { Context } from 'hono';
import type { AppEnv } from './env.js';

/** Highest page number a listing is asked for; beyond it the listing shows its last page. */
export const MAX_PAGE = 1_000_000;

const DIGITS = /^[0-9]+$/;

export interface IntOptions {
  /** For a missing or unreadable value. */
  fallback: number;
  min: number;
  max: number;
}

/**
 * A whole number from `?name=`: only ASCII digits count ('+1', '1.5', '1e3', '0x10', '١' and '' give
 * `fallback`), then clamped to [min, max]. A repeated name uses its first value.
 */
export function queryInt(c: Context<AppEnv>, name: string, options: IntOptions): number {
  const raw = c.req.query(name);
  if (raw === undefined || !DIGITS.test(raw)) return options.fallback;
  // More digits than any max here: clamped without relying on Number() of a 300-digit string.
  const n = raw.length > 15 ? Number.POSITIVE_INFINITY : Number(raw);
  return Math.min(options.max, Math.max(options.min, n));
}

/** `?page=`: 1 when missing or unreadable, at most MAX_PAGE (listings then show their last page). */
export const queryPage = (c: Context<AppEnv>): number =>
  queryInt(c, 'page', { fallback: 1, min: 1, max: MAX_PAGE });
