// The benchmark's bulk seeding (bench/support/populate.ts) writes what it says, and its sessions are
// ones the service accepts. Timings are never asserted anywhere.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { populate } from '../../bench/support/populate.js';
import { resolveSession } from '../../src/domain/sessions/sessions.js';
import { type TestDb, createTestDb } from '../support/db.js';

const secret = 'bench-populate-secret-0123456789abcdef';
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb('sqlite');
});
afterAll(async () => {
  await db.cleanup();
});

it('seeds the named users, the others and their sessions in bulk', async () => {
  const p = await populate(db.db, {
    smallRecords: 10,
    bigRecords: 120,
    others: 30,
    perUser: 3,
    sessions: 7,
    secret,
    batch: 25,
  });
  expect(p.users).toBe(32);
  expect(p.records).toBe(10 + 120 + 30 * 3);
  expect(p.others).toHaveLength(7);
  const count = async (table: 'users' | 'dns_records' | 'sessions') =>
    Number(
      (
        await db.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  expect(await count('users')).toBe(32);
  expect(await count('dns_records')).toBe(220);
  expect(await count('sessions')).toBe(9);
  const perUser = await db.db
    .selectFrom('dns_records')
    .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('user_id')
    .execute();
  const of = (id: number) => Number(perUser.find((r) => r.user_id === id)?.n ?? 0);
  expect(of(p.small.userId)).toBe(10);
  expect(of(p.big.userId)).toBe(120);
  expect(of(p.others[0]!.userId)).toBe(3);

  const policy = { secret, idleTimeoutMs: 3_600_000, absoluteTimeoutMs: 86_400_000 };
  for (const s of [p.small, p.big, p.others[6]!]) {
    const active = await resolveSession(
      db.db,
      policy,
      s.cookie.replace(/^__session=/, ''),
      Date.now(),
    );
    expect(active?.user.id).toBe(s.userId);
    expect(active?.csrfToken).toBe(s.csrf);
  }
});
