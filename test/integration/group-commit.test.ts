/**
 * inTransaction: on SQLite, transactions asked for in the same event-loop turn share one COMMIT, each
 * in its own savepoint; a unit that throws loses only its own writes; a failed COMMIT fails every unit
 * of its batch and keeps nothing. On MySQL it is a plain transaction. Both dialects.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { groupCommitStats, inTransaction } from '../../src/db/group-commit.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';

describe.each(DIALECTS)('inTransaction on %s', (dialect) => {
  let tdb: TestDb;
  let db: Db;
  beforeAll(async () => {
    tdb = await createTestDb(dialect);
    db = tdb.db;
    await sql`create table gc_rows (id integer primary key, tag varchar(32) not null)`.execute(db);
  });
  afterAll(async () => tdb?.cleanup());

  const insert = (trx: Db, id: number, tag: string) =>
    sql`insert into gc_rows (id, tag) values (${id}, ${tag})`.execute(trx);
  const tags = async (tag: string) =>
    (
      await sql<{ id: number }>`select id from gc_rows where tag = ${tag} order by id`.execute(db)
    ).rows.map((r) => Number(r.id));

  test('concurrent units all commit, each gets its own result, and they see earlier units’ writes', async () => {
    const before = groupCommitStats(db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inTransaction(db, async (trx) => {
          await insert(trx, 100 + i, 'many');
          const seen = await sql<{
            n: number;
          }>`select count(*) as n from gc_rows where tag = 'many'`.execute(trx);
          return { i, seen: Number(seen.rows[0]!.n) };
        }),
      ),
    );
    expect(results.map((r) => r.i)).toEqual([...Array(20).keys()]);
    expect(await tags('many')).toHaveLength(20);
    if (dialect === 'sqlite') {
      // One event-loop turn: one transaction for all twenty, run in arrival order.
      const after = groupCommitStats(db);
      expect(after.units - before.units).toBe(20);
      expect(after.transactions - before.transactions).toBe(1);
      expect(results.map((r) => r.seen)).toEqual([...Array(20).keys()].map((i) => i + 1));
    }
  });

  test('a unit that throws loses its own writes and rejects with its own error; the others commit', async () => {
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((i) =>
        inTransaction(db, async (trx) => {
          await insert(trx, 200 + i, 'mixed');
          if (i === 3) throw new Error('unit 3 refuses');
          return i;
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toEqual(new Error('unit 3 refuses'));
    expect(await tags('mixed')).toEqual([201, 202, 204, 205]);
  });

  test('a lone unit that throws commits nothing', async () => {
    await expect(
      inTransaction(db, async (trx) => {
        await insert(trx, 300, 'alone');
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await tags('alone')).toEqual([]);
  });
});

// SQLite only: MySQL runs each unit in its own transaction, so there is no shared COMMIT to fail.
describe('inTransaction on sqlite: a failed COMMIT', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb('sqlite');
    await sql`create table gc_rows (id integer primary key, tag varchar(32) not null)`.execute(
      tdb.db,
    );
  });
  afterAll(async () => tdb?.cleanup());

  test('every unit of the batch rejects and nothing is kept', async () => {
    const db = tdb.db;
    const insert = (trx: Db, id: number, tag: string) =>
      sql`insert into gc_rows (id, tag) values (${id}, ${tag})`.execute(trx);
    const tags = async (tag: string) =>
      (
        await sql<{ id: number }>`select id from gc_rows where tag = ${tag} order by id`.execute(db)
      ).rows.map((r) => Number(r.id));

    // A deferred foreign key is only checked at COMMIT.
    await sql`create table gc_parent (id integer primary key)`.execute(db);
    await sql`create table gc_child (id integer primary key, parent_id integer references gc_parent (id) deferrable initially deferred)`.execute(
      db,
    );
    const outcomes = await Promise.allSettled([
      inTransaction(db, (trx) => insert(trx, 400, 'doomed')),
      inTransaction(db, (trx) =>
        sql`insert into gc_child (id, parent_id) values (1, 999)`.execute(trx),
      ),
      inTransaction(db, (trx) => insert(trx, 401, 'doomed')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/i);
    expect(await tags('doomed')).toEqual([]);
    // The runner is not stuck: the next unit commits.
    await inTransaction(db, (trx) => insert(trx, 402, 'after'));
    expect(await tags('after')).toEqual([402]);
  });
});
