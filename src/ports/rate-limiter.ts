/**
 * Counting requests in fixed windows, shared by every replica (Redis in deployments, process memory in
 * the embedded mode). The rules — which keys, which limits — live in domain/tokens/rate-limits.ts.
 */
export interface RateRule {
  /** What is counted, e.g. `token:42:m` (the adapter adds its prefix and the window number). */
  key: string;
  /** Most hits allowed in one window. */
  limit: number;
  windowMs: number;
}

export type RateVerdict =
  | { allowed: true }
  /** `retryAfterS`: whole seconds until the exceeded window ends (at least 1). */
  | { allowed: false; retryAfterS: number; rule: RateRule };

export interface RateLimiter {
  /**
   * Count one hit against every rule; allowed only when each is within its limit. A refused hit still
   * counts (a client that keeps hammering stays refused). Never throws: if the store is unreachable the
   * hit is allowed and the adapter logs it (rate limiting must not take the API down).
   */
  hit(rules: readonly RateRule[]): Promise<RateVerdict>;
  close(): Promise<void>;
}
