/**
 * When a certificate renews, for any lifetime (90 days today, 64 and 45 days from 2027/2028, 6-day
 * `shortlived`). Pure functions of times in epoch ms and a random number in [0, 1): no clock, no I/O.
 *
 * Without ARI (the fallback, Let's Encrypt's integration guide): renew when a share of the lifetime
 * remains — CERTIFICATE_RENEW_REMAINING_PERCENT (default 33 ≈ a third) for lifetimes of 10 days or more;
 * for shorter lifetimes half, or the configured share when that is larger (a 6-day certificate renewed
 * with two days left leaves no room for one failed attempt and the 12-hour retry pause). That point is
 * spread: the renewal starts uniformly at random in a band that ends at the point and starts
 * SPREAD_FRACTION of the lifetime before it (10 %: 9 days for 90-day certificates, 14.4 hours for 6-day
 * ones), narrowed to half the time between issuance and the point when the configured share is so large
 * that the band would reach back to issuance. A class that requested together renews over days, not in
 * one minute.
 *
 * With ARI (RFC 9773): the CA suggests a window; the renewal starts at a uniformly random time inside
 * it (never before now), at once when the window is already over. A renewal time that already lies in a
 * new answer's window is kept, so polling twice a day does not move it around.
 */

export const DAY_MS = 86_400_000;
/** Lifetimes shorter than this renew when half remains (or the configured share, if larger). */
export const SHORT_LIFETIME_MS = 10 * DAY_MS;
export const SHORT_LIFETIME_FRACTION = 0.5;
/** Width of the random band before the fallback point, as a share of the lifetime. */
export const SPREAD_FRACTION = 0.1;

/** Ask for renewal information no sooner than a minute (RFC 9773 §4.3.2's floor for Retry-After)… */
export const ARI_MIN_CHECK_MS = 60_000;
/**
 * …and no later than 12 hours: RFC 9773 treats Retry-After over a day as a day, Let's Encrypt asks
 * clients to check at least twice a day; 12 hours satisfies both. Error backoff stops here too.
 */
export const ARI_MAX_CHECK_MS = 12 * 3_600_000;
/** When the CA sent no Retry-After (Let's Encrypt sends 6 hours). */
export const ARI_DEFAULT_CHECK_MS = 6 * 3_600_000;
/** First retry after an error; doubles per consecutive error up to ARI_MAX_CHECK_MS. */
export const ARI_ERROR_BASE_MS = 5 * 60_000;

/** The share of the lifetime that remains when the (unspread) fallback renewal starts. */
export function remainingFraction(lifetimeMs: number, configured: number): number {
  return lifetimeMs < SHORT_LIFETIME_MS
    ? Math.max(SHORT_LIFETIME_FRACTION, configured)
    : configured;
}

/** The fallback point itself (no spread): `validTo − fraction × lifetime`. */
export function fallbackPoint(validFrom: number, validTo: number, configured: number): number {
  const lifetime = Math.max(0, validTo - validFrom);
  return validTo - Math.floor(remainingFraction(lifetime, configured) * lifetime);
}

/** The band the spread renewal time falls in: [start, end], end = the fallback point. */
export function fallbackBand(
  validFrom: number,
  validTo: number,
  configured: number,
): { start: number; end: number } {
  const lifetime = Math.max(0, validTo - validFrom);
  const end = fallbackPoint(validFrom, validTo, configured);
  const width = Math.min(SPREAD_FRACTION * lifetime, (end - validFrom) / 2);
  return { start: end - Math.floor(Math.max(0, width)), end };
}

/**
 * The spread fallback renewal time: uniformly in fallbackBand by `random` ∈ [0, 1). Certificates
 * issued before renewal times were stored pass a number derived from their id (spreadOf), so the scan
 * spreads them too and gives the same answer every time.
 */
export function fallbackRenewAt(
  validFrom: number,
  validTo: number,
  configured: number,
  random: number,
): number {
  const { start, end } = fallbackBand(validFrom, validTo, configured);
  return start + Math.floor(clamp01(random) * (end - start));
}

/** A fixed number in [0, 1) for a row id (golden-ratio sequence: neighbouring ids land far apart). */
export const spreadOf = (id: number) => (id * 0.6180339887498949) % 1;

/**
 * The renewal time for an ARI window: keep `current` when it lies inside the window; at once (`now`)
 * when the window is over; otherwise uniformly in [max(start, now), end] by `random` ∈ [0, 1).
 */
export function chooseInWindow(
  window: { start: number; end: number },
  current: number | null,
  now: number,
  random: number,
): number {
  if (current !== null && current >= window.start && current <= window.end) return current;
  if (window.end <= now) return now;
  const from = Math.max(window.start, now);
  return from + Math.floor(clamp01(random) * (window.end - from));
}

/** When to ask for renewal information again after an answer with this Retry-After (ms, or none). */
export function nextCheckAfter(retryAfterMs: number | null): number {
  if (retryAfterMs === null || !Number.isFinite(retryAfterMs)) return ARI_DEFAULT_CHECK_MS;
  return Math.min(ARI_MAX_CHECK_MS, Math.max(ARI_MIN_CHECK_MS, retryAfterMs));
}

/**
 * Delay after the `failures`-th consecutive error (from 1): 5 min, 10, 20, … capped at 12 hours; a
 * Retry-After the CA sent with the error is honoured when longer, within the same cap.
 */
export function errorBackoff(failures: number, retryAfterMs: number | null = null): number {
  const exp = ARI_ERROR_BASE_MS * 2 ** Math.min(20, Math.max(0, failures - 1));
  return Math.min(ARI_MAX_CHECK_MS, Math.max(exp, retryAfterMs ?? 0));
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(Math.max(x, 0), 1 - 1e-12) : 0);
