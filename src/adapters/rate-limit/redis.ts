/**
 * Fixed-window counters in Redis, shared by every replica: one INCR per rule (keys expire with their
 * window) in a single round trip.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { RateLimiter, RateRule, RateVerdict } from '../../ports/rate-limiter.js';

// INCR every key; set the expiry when a key is new; return the counts. One script = one round trip.
const SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  out[i] = n
end
return out`;

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
    this.redis.on('error', (err) =>
      logger.warn({ err: err.message }, 'rate limiter: redis connection error'),
    );
  }

  async hit(rules: readonly RateRule[]): Promise<RateVerdict> {
    if (rules.length === 0) return { allowed: true };
    const now = this.now();
    const windows = rules.map((r) => Math.floor(now / r.windowMs));
    const keys = rules.map((r, i) => `${this.prefix}:rl:${r.key}:${windows[i]}`);
    // Keys live a little past their window so a slow replica's clock still finds them.
    const ttls = rules.map((r, i) => String((windows[i]! + 1) * r.windowMs - now + 5_000));
    let counts: number[];
    try {
      counts = (await this.redis.eval(SCRIPT, keys.length, ...keys, ...ttls)) as number[];
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'rate limiter unavailable; request allowed',
      );
      return { allowed: true };
    }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (Number(counts[i]) > rule.limit)
        return {
          allowed: false,
          retryAfterS: Math.max(1, Math.ceil(((windows[i]! + 1) * rule.windowMs - now) / 1000)),
          rule,
        };
    }
    return { allowed: true };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
