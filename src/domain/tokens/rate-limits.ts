/**
 * How much one token and one user may do (API, dyndns2, acme-dns, DNS UPDATE alike), in the spirit of
 * deSEC's published limits: requests per token and per user per minute, and changes per user per hour.
 * Counted by the RateLimiter port, so every replica shares the counts. A limit of 0 switches it off.
 */
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { RateLimiter, RateRule } from '../../ports/rate-limiter.js';
import type { TokenAuth } from './tokens.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export type RateLimitConfig = Config['tokens']['rateLimits'];

/** Too many requests: 429 with Retry-After (seconds). */
export class RateLimited extends AppError {
  constructor(
    readonly retryAfterS: number,
    message: string,
  ) {
    super('RATE_LIMITED', message);
  }
}

const rule = (key: string, limit: number, windowMs: number): RateRule[] =>
  limit > 0 ? [{ key, limit, windowMs }] : [];

/** Count a request made with this token; throws RateLimited past the per-token or per-user limit. */
export async function limitRequest(
  limiter: RateLimiter,
  limits: RateLimitConfig,
  auth: Pick<TokenAuth, 'token' | 'user'>,
): Promise<void> {
  const verdict = await limiter.hit([
    ...rule(`t:${auth.token.id}:m`, limits.tokenPerMinute, MINUTE),
    ...rule(`u:${auth.user.id}:m`, limits.userPerMinute, MINUTE),
  ]);
  if (!verdict.allowed)
    throw new RateLimited(
      verdict.retryAfterS,
      verdict.rule.key.startsWith('t:')
        ? `This token made more than ${limits.tokenPerMinute} requests in a minute. Try again in ${verdict.retryAfterS} s.`
        : `Your tokens made more than ${limits.userPerMinute} requests in a minute together. Try again in ${verdict.retryAfterS} s.`,
    );
}

/** Count a change (a write that will happen); throws RateLimited past the per-user hourly limit. */
export async function limitWrite(
  limiter: RateLimiter,
  limits: RateLimitConfig,
  auth: Pick<TokenAuth, 'user'>,
): Promise<void> {
  const verdict = await limiter.hit(rule(`u:${auth.user.id}:w`, limits.writesPerHour, HOUR));
  if (!verdict.allowed)
    throw new RateLimited(
      verdict.retryAfterS,
      `Your tokens made more than ${limits.writesPerHour} changes in an hour. Try again in ${verdict.retryAfterS} s.`,
    );
}
