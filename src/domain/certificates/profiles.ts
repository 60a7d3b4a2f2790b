/**
 * Let's Encrypt's certificate profiles and their lifetimes (shared/reference/limits.md §5): `classic`
 * (the default) is 90 days until 2027-02-10, 64 days from then and 45 days from 2028-02-16; `tlsserver`
 * is 45 days; `shortlived` is 6 days, which Let's Encrypt states as 160 hours. The dates are taken as
 * 00:00 UTC. These are expectations for planning (budgets, renewal fallbacks, what the page says);
 * the issued certificate's own notBefore/notAfter always win once it exists.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** From this instant the classic profile issues 64-day certificates. */
export const CLASSIC_64_DAYS_FROM = Date.UTC(2027, 1, 10);
/** From this instant the classic profile issues 45-day certificates. */
export const CLASSIC_45_DAYS_FROM = Date.UTC(2028, 1, 16);

export const TLSSERVER_LIFETIME_MS = 45 * DAY;
export const SHORTLIVED_LIFETIME_MS = 160 * HOUR;

/** Lifetime of a `classic` (default profile) certificate issued at `at` (epoch ms). */
export function classicLifetimeMs(at: number): number {
  if (at >= CLASSIC_45_DAYS_FROM) return 45 * DAY;
  if (at >= CLASSIC_64_DAYS_FROM) return 64 * DAY;
  return 90 * DAY;
}

/**
 * Expected lifetime of a certificate ordered with `profile` at `at`: no profile, `classic` or a name
 * we do not know → the classic lifetime on that date (a CA's default profile is its classic one).
 */
export function expectedLifetimeMs(profile: string | null, at: number): number {
  if (profile === 'tlsserver') return TLSSERVER_LIFETIME_MS;
  if (profile === 'shortlived') return SHORTLIVED_LIFETIME_MS;
  return classicLifetimeMs(at);
}

/**
 * Short-lived certificates (under 10 days) are not revoked or checked for revocation in the usual way
 * and leave no room for day-scale reminders; callers treat them differently.
 */
export function isShortLived(lifetimeMs: number): boolean {
  return lifetimeMs < 10 * DAY;
}
