/**
 * The issuance budget in the database, on both dialects, with two workers (two connection pools on
 * MariaDB) spending concurrently: 120 first-time orders at once under
 * Let's Encrypt's 50-per-week registered-domain limit → exactly 50 go and 70 are refused with truthful
 * times; booked refusals get strictly increasing times; the controllable clock refills one certificate
 * per 201.6 minutes; a PSL-listed root lifts the shared limit but not the 300-per-3-hours order limit;
 * renewal exemptions and failed authorizations hold in the stored buckets too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { type DbHandle, createDb } from '../../src/db/client.js';
import {
  type BudgetDeps,
  type TakeResult,
  recordFailedAuthorization,
  refund,
  tryTake,
  whenAvailable,
} from '../../src/domain/certificates/budget.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';

const T0 = 1_900_000_000_000;
const IV = 201.6 * 60_000; // one certificate per registered domain every 7 days / 50
const ROOT = 'example.edu';

describe.each(DIALECTS)('issuance budget on %s', (dialect) => {
  let tdb: TestDb;
  let second: DbHandle;
  let now = T0;
  const clock = { now: () => now };
  const workers = (psl = false): [BudgetDeps, BudgetDeps] => {
    const config = {
      rootDomain: ROOT,
      acme: {
        limits: { profile: 'letsencrypt', rootDomainOnPsl: psl } as Config['acme']['limits'],
      },
    };
    return [
      { db: tdb.db, clock, config },
      { db: second.db, clock, config },
    ];
  };
  const newOrder = (user: string) => ({ identifiers: [`${user}.${ROOT}`], kind: 'new' as const });

  /** n first-time orders for distinct users, all at once, alternating between the two workers. */
  async function burst(
    n: number,
    prefix: string,
    psl = false,
    book = false,
  ): Promise<TakeResult[]> {
    const [a, b] = workers(psl);
    return Promise.all(
      Array.from({ length: n }, (_, i) =>
        tryTake(i % 2 ? a : b, newOrder(`${prefix}${i}`), { book }),
      ),
    );
  }

  beforeAll(async () => {
    tdb = await createTestDb(dialect);
    // MariaDB: a second pool is a second worker. SQLite: one handle, since two connections in one
    // process would block each other's event loop on the file lock (separate processes share the
    // file under BEGIN IMMEDIATE; test/integration/sqlite-two-processes.test.ts covers that).
    second = dialect === 'mysql' ? await createDb(tdb.config) : tdb;
  });
  afterAll(async () => {
    if (second !== tdb) await second?.close();
    await tdb?.cleanup();
  });
  beforeEach(async () => {
    now = T0;
    await tdb.db.deleteFrom('issuance_budget').execute();
  });

  it('120 at once under 50 per week: exactly 50 go, 70 are refused until the refill', async () => {
    const results = await burst(120, 'u');
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(70);
    for (const r of refused)
      expect(r).toEqual({
        ok: false,
        limit: 'certificates-per-registered-domain',
        availableAt: T0 + IV,
        booked: false,
      });

    // The next one can go when the first token comes back, not a millisecond before.
    now = T0 + IV - 1;
    expect((await tryTake(workers()[0], newOrder('late0'))).ok).toBe(false);
    // Estimates: with two others ahead, the third token.
    expect(await whenAvailable(workers()[0], newOrder('x'), { ahead: 2 })).toEqual({
      at: T0 + 3 * IV,
      limit: 'certificates-per-registered-domain',
    });
    // Three intervals later exactly three more go, whichever worker asks.
    now = T0 + 3 * IV;
    const later = await burst(5, 'late');
    expect(later.filter((r) => r.ok)).toHaveLength(3);
    expect(later.filter((r) => !r.ok).map((r) => !r.ok && r.availableAt)).toEqual([
      T0 + 4 * IV,
      T0 + 4 * IV,
    ]);
    // A refund gives the token back.
    await refund(workers()[1], newOrder('late0'));
    expect((await tryTake(workers()[0], newOrder('late9'))).ok).toBe(true);
  });

  it('booked refusals hold their place: 70 strictly increasing, truthful times', async () => {
    const results = await burst(120, 'b', false, true);
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    const times = results
      .flatMap((r) => (r.ok ? [] : [r]))
      .map((r) => {
        expect(r).toMatchObject({ limit: 'certificates-per-registered-domain', booked: true });
        return r.availableAt;
      })
      .sort((x, y) => x - y);
    expect(times).toEqual(Array.from({ length: 70 }, (_, k) => T0 + (k + 1) * IV));

    // A newcomer waits behind all 70 bookings, and is told so.
    expect(await whenAvailable(workers()[1], newOrder('n'))).toEqual({
      at: T0 + 71 * IV,
      limit: 'certificates-per-registered-domain',
    });
    now = T0 + 70 * IV;
    expect(await tryTake(workers()[0], newOrder('n'))).toMatchObject({
      ok: false,
      availableAt: T0 + 71 * IV,
    });
    now = T0 + 71 * IV;
    expect(await tryTake(workers()[0], newOrder('n'))).toEqual({ ok: true });
    expect(await tryTake(workers()[1], newOrder('m'))).toMatchObject({
      ok: false,
      availableAt: T0 + 72 * IV,
    });
  });

  it('with the root on the PSL all 120 go; the 300-per-3-hours order limit still applies', async () => {
    const results = await burst(120, 'p', true);
    expect(results.every((r) => r.ok)).toBe(true);
    const more = await burst(181, 'q', true);
    expect(more.filter((r) => r.ok)).toHaveLength(180);
    expect(more.find((r) => !r.ok)).toEqual({
      ok: false,
      limit: 'new-orders-per-account',
      availableAt: T0 + 36_000,
      booked: false,
    });
    now = T0 + 36_000;
    expect(await tryTake(workers(true)[1], newOrder('r'))).toEqual({ ok: true });
  });

  it('renewals of the same names skip the shared limit but count per exact set; ARI renewals are free', async () => {
    await burst(50, 'u');
    const [a, b] = workers();
    expect((await tryTake(a, newOrder('alice'))).ok).toBe(false);
    const renewal = { identifiers: [`alice.${ROOT}`, `*.alice.${ROOT}`], kind: 'renewal' as const };
    const renewed = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => tryTake(i % 2 ? a : b, renewal)),
    );
    expect(renewed.filter((r) => r.ok)).toHaveLength(5);
    expect(renewed.find((r) => !r.ok)).toMatchObject({
      limit: 'certificates-per-exact-set',
      availableAt: T0 + 33.6 * 3_600_000,
    });
    for (let i = 0; i < 3; i++)
      expect(await tryTake(b, { ...renewal, kind: 'ari-renewal' })).toEqual({ ok: true });
  });

  it('five failed authorizations for a name refuse its orders for 12 minutes', async () => {
    const [a, b] = workers();
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) => recordFailedAuthorization(i % 2 ? a : b, `*.carol.${ROOT}`)),
    );
    expect(await tryTake(a, newOrder('carol'))).toEqual({
      ok: false,
      limit: 'failed-authorizations-per-identifier',
      availableAt: T0 + 12 * 60_000,
      booked: false,
    });
    // Another name is unaffected; an ARI renewal is exempt.
    expect(await tryTake(a, newOrder('dave'))).toEqual({ ok: true });
    expect(await tryTake(b, { ...newOrder('carol'), kind: 'ari-renewal' })).toEqual({ ok: true });
    now = T0 + 12 * 60_000;
    expect(await tryTake(b, newOrder('carol'))).toEqual({ ok: true });
  });
});
