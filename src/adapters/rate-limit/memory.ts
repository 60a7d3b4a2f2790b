/** Fixed-window counters in this process's memory (embedded mode: one process serves everything). */
import type { RateLimiter, RateRule, RateVerdict } from '../../ports/rate-limiter.js';

/** Counters kept at most; beyond it the oldest windows are dropped first (bounded memory). */
const MAX_KEYS = 100_000;

export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, { count: number; endsAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  hit(rules: readonly RateRule[]): Promise<RateVerdict> {
    const now = this.now();
    let refused: RateVerdict = { allowed: true };
    for (const rule of rules) {
      const window = Math.floor(now / rule.windowMs);
      const key = `${rule.key}:${window}`;
      let c = this.counts.get(key);
      if (!c) {
        if (this.counts.size >= MAX_KEYS) this.prune(now);
        c = { count: 0, endsAt: (window + 1) * rule.windowMs };
        this.counts.set(key, c);
      }
      c.count += 1;
      if (c.count > rule.limit && refused.allowed)
        refused = {
          allowed: false,
          retryAfterS: Math.max(1, Math.ceil((c.endsAt - now) / 1000)),
          rule,
        };
    }
    return Promise.resolve(refused);
  }

  private prune(now: number) {
    for (const [k, c] of this.counts) if (c.endsAt <= now) this.counts.delete(k);
    // Still full of live windows: drop the oldest inserted (Map keeps insertion order).
    for (const k of this.counts.keys()) {
      if (this.counts.size < MAX_KEYS) break;
      this.counts.delete(k);
    }
  }

  close(): Promise<void> {
    this.counts.clear();
    return Promise.resolve();
  }
}
