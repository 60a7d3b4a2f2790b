/**
 * The RateLimiter port's contract, run against both adapters: process memory (embedded mode) and
 * Redis (deployments; a dedicated server, so it can also be killed). Two Redis limiters stand for two
 * replicas sharing the counts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/adapters/rate-limit/memory.js';
import { RedisRateLimiter } from '../../src/adapters/rate-limit/redis.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';
import { silentLogger } from '../support/db.js';
import { type DedicatedRedis, startDedicatedRedis } from '../support/redis.js';

let redis: DedicatedRedis;
let now = 1_000_000_000_000;
const clock = () => now;
const made: RateLimiter[] = [];
beforeAll(async () => {
  redis = await startDedicatedRedis();
});
afterAll(async () => {
  for (const l of made) await l.close();
  await redis.stop();
});

const adapters: [string, () => [RateLimiter, RateLimiter]][] = [
  [
    'memory',
    () => {
      const one = new MemoryRateLimiter(clock);
      return [one, one];
    },
  ],
  [
    'redis (two replicas)',
    () => {
      const prefix = `t${randomUUID()}`;
      const a = new RedisRateLimiter(redis.url, prefix, silentLogger, clock);
      const b = new RedisRateLimiter(redis.url, prefix, silentLogger, clock);
      made.push(a, b);
      return [a, b];
    },
  ],
];

describe.each(adapters)('rate limiter: %s', (_name, make) => {
  it('allows N hits per window, refuses the N+1st with the time left, and resets', async () => {
    const [a, b] = make();
    now = 1_000_000_000_000 - (1_000_000_000_000 % 60_000) + 15_000; // 45 s left in the window
    const rules = [{ key: 'token:1', limit: 3, windowMs: 60_000 }];
    expect(await a.hit(rules)).toEqual({ allowed: true });
    expect(await b.hit(rules)).toEqual({ allowed: true });
    expect(await a.hit(rules)).toEqual({ allowed: true });
    const refused = await b.hit(rules);
    expect(refused).toMatchObject({ allowed: false, retryAfterS: 45, rule: rules[0] });
    // Another key is counted apart.
    expect(await a.hit([{ key: 'token:2', limit: 3, windowMs: 60_000 }])).toEqual({
      allowed: true,
    });
    now += 45_000;
    expect(await b.hit(rules)).toEqual({ allowed: true });
  });

  it('refuses when any of several rules is exceeded', async () => {
    const [a] = make();
    const rules = [
      { key: 'tok', limit: 100, windowMs: 60_000 },
      { key: 'user', limit: 1, windowMs: 3_600_000 },
    ];
    expect((await a.hit(rules)).allowed).toBe(true);
    expect(await a.hit(rules)).toMatchObject({ allowed: false, rule: rules[1] });
  });
});

it('allows (and logs) when Redis is down rather than failing requests', async () => {
  const limiter = new RedisRateLimiter(redis.url, `t${randomUUID()}`, silentLogger, clock);
  made.push(limiter);
  await redis.kill();
  try {
    expect(await limiter.hit([{ key: 'x', limit: 0, windowMs: 1000 }])).toEqual({ allowed: true });
  } finally {
    await redis.restart();
  }
});
