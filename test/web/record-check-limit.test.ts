/**
 * The record check's per-person limit (DNS_CHECK_PER_MINUTE): each check queries every public
 * resolver, so past the limit the page answers 429 with Retry-After and sends no query at all. Run
 * with the in-process limiter (embedded mode) and the Redis one (deployments), on a clock the test
 * moves so the minute window is predictable.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type TestApp, createTestApp } from '../support/app.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import type { LookupResult } from '../../src/ports/dns-lookup.js';

const ANSWER: LookupResult = {
  ok: true,
  rcode: 'NOERROR',
  answers: [{ type: 'A', value: '192.0.2.10', ttl: 60 }],
  ms: 1,
};

describe.each([
  ['in-process limiter', false],
  ['Redis limiter', true],
])('record check rate limit (%s)', (_name, redis) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('allows DNS_CHECK_PER_MINUTE checks a minute per person, then a 429 page with Retry-After and no DNS query', async () => {
    // One second into a minute: the three checks below fall in the same window.
    let now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    t = await createTestApp({
      redis,
      clock: { now: () => now },
      env: { DNS_CHECK_PER_MINUTE: '2', DNS_CHECK_RESOLVERS: '127.0.0.1:9,127.0.0.1:10' },
    });
    // Nothing leaves the machine: the lookup port is replaced, and counts what it is asked.
    const lookup = t.container.dnsLookup;
    const authoritative = vi
      .spyOn(lookup, 'authoritative')
      .mockResolvedValue([{ label: 'Built-in DNS server', host: '127.0.0.1', port: 1 }]);
    const query = vi.spyOn(lookup, 'query').mockResolvedValue(ANSWER);

    const db = t.container.dbh.db;
    const user = await insertUser(db);
    const id = await insertRecord(db, user, 'www', 'A', '192.0.2.10');
    const agent = await t.agent(user);

    for (let i = 1; i <= 2; i++) {
      const res = await agent.get(`/dns-records/${id}/check`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('data-summary="live"');
      expect(query).toHaveBeenCalledTimes(3 * i); // the built-in server and two resolvers
    }

    const refused = await agent.get(`/dns-records/${id}/check`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('59');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    const html = await refused.text();
    expect(html).toContain('<h1>Too many checks</h1>');
    expect(html).toContain('more than 2 record checks in a minute');
    expect(html).toContain('try again in 59 s');
    expect(html).toContain(`href="/dns-records/${id}"`);
    expect(query).toHaveBeenCalledTimes(6);
    expect(authoritative).toHaveBeenCalledTimes(2);

    // The limit is per person: someone else still checks their own record.
    const other = await insertUser(db);
    const otherId = await insertRecord(db, other, 'www', 'A', '192.0.2.10');
    expect((await (await t.agent(other)).get(`/dns-records/${otherId}/check`)).status).toBe(200);
    expect(query).toHaveBeenCalledTimes(9);

    // Someone else's record is still not found (not a 429 that would confirm it exists).
    expect((await agent.get(`/dns-records/${otherId}/check`)).status).toBe(404);

    // The next minute, checks work again.
    now += 60_000;
    expect((await agent.get(`/dns-records/${id}/check`)).status).toBe(200);
    expect(query).toHaveBeenCalledTimes(12);
  });

  it('DNS_CHECK_PER_MINUTE=0 switches the limit off', async () => {
    t = await createTestApp({ redis, env: { DNS_CHECK_PER_MINUTE: '0' } });
    const lookup = t.container.dnsLookup;
    vi.spyOn(lookup, 'authoritative').mockResolvedValue([]);
    vi.spyOn(lookup, 'publicResolvers').mockReturnValue([]);
    const db = t.container.dbh.db;
    const user = await insertUser(db);
    const id = await insertRecord(db, user, 'www', 'A', '192.0.2.10');
    const agent = await t.agent(user);
    for (let i = 0; i < 15; i++)
      expect((await agent.get(`/dns-records/${id}/check`)).status).toBe(200);
  });
});
