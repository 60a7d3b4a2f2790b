import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedQuery } from '../../src/db/prepared.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const usersFrom = preparedQuery((db, minId: number, limit: number) =>
  db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('id', '>=', minId)
    .orderBy('id')
    .limit(limit),
);

describe.each(DIALECTS)('preparedQuery on %s', (dialect) => {
  let t: TestDb;
  const ids: number[] = [];
  beforeAll(async () => {
    t = await createTestDb(dialect);
    for (let i = 0; i < 5; i++) ids.push((await insertUser(t.db)).id);
  });
  afterAll(async () => t.cleanup());

  it('returns what the same query built afresh returns, for each set of arguments', async () => {
    for (const [minId, limit] of [
      [ids[0]!, 5],
      [ids[2]!, 2],
      [ids[4]! + 1, 3],
      [ids[1]!, 1],
    ] as const) {
      const fresh = await t.db
        .selectFrom('users')
        .select(['id', 'username'])
        .where('id', '>=', minId)
        .orderBy('id')
        .limit(limit)
        .execute();
      expect(await usersFrom(t.db, minId, limit)).toEqual(fresh);
    }
  });

  it('runs inside a transaction and sees its uncommitted rows', async () => {
    await t.db
      .transaction()
      .execute(async (trx) => {
        const u = await insertUser(trx);
        expect((await usersFrom(trx, u.id, 10)).map((r) => r.id)).toEqual([u.id]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await usersFrom(t.db, ids[4]! + 1, 10)).toEqual([]);
  });

  it('refuses a builder that does not pass every argument to the query as a value', async () => {
    const ignoresLimit = preparedQuery((db, minId: number, _limit: number) =>
      db.selectFrom('users').select('id').where('id', '>=', minId),
    );
    await expect(ignoresLimit(t.db, 1, 2)).rejects.toThrow(/every argument/);
  });
});
