/**
 * inTransaction: transactions asked for in the same event-loop turn share one COMMIT, each in its own
 * savepoint; a unit that throws loses only its own writes; a failed COMMIT fails every unit of its
 * batch and keeps nothing; on MySQL a batch InnoDB rolls back (deadlock) is run again unit by unit.
 * Both dialects.
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
    // One event-loop turn: one transaction for all twenty, run in arrival order.
    const after = groupCommitStats(db);
    expect(after.units - before.units).toBe(20);
    expect(after.transactions - before.transactions).toBe(1);
    expect(results.map((r) => r.seen)).toEqual([...Array(20).keys()].map((i) => i + 1));
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

describe('inTransaction on mysql: a batch InnoDB rolls back', () => {
  let tdb: TestDb;
  beforeAll(async () => {
    tdb = await createTestDb('mysql');
    await sql`create table gc_rows (id integer primary key, tag varchar(32) not null)`.execute(
      tdb.db,
    );
  });
  afterAll(async () => tdb?.cleanup());

  test('a deadlock with another transaction ends the batch; its units run again alone and all commit', async () => {
    const db = tdb.db;
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: 1000 + i }));
    for (const { id } of rows)
      await sql`insert into gc_rows (id, tag) values (${id}, 'x')`.execute(db);
    await sql`insert into gc_rows (id, tag) values (1, 'a'), (2, 'b')`.execute(db);
    const before = groupCommitStats(db);

    // The other transaction locks row 2 and many more (so InnoDB picks the batch as the victim).
    let release!: () => void;
    const holding = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const hasLocks = new Promise<void>((r) => (locked = r));
    const other = db.transaction().execute(async (trx) => {
      await sql`update gc_rows set tag = 'other' where id = 2 or id >= 1000`.execute(trx);
      locked();
      await holding;
      await sql`update gc_rows set tag = 'other' where id = 1`.execute(trx);
    });
    await hasLocks;
    // The batch: unit 1 locks row 1, unit 2 waits for row 2.
    const units = Promise.allSettled([
      inTransaction(db, async (trx) => {
        await sql`update gc_rows set tag = 'unit1' where id = 1`.execute(trx);
        return 1;
      }),
      inTransaction(db, async (trx) => {
        await sql`update gc_rows set tag = 'unit2' where id = 2`.execute(trx);
        return 2;
      }),
    ]);
    // Once unit 2 waits, the other transaction asks for row 1: a cycle, and the batch is rolled back.
    for (let i = 0; i < 100; i++) {
      const waits = await sql<{
        n: number;
      }>`select count(*) as n from information_schema.innodb_trx where trx_state = 'LOCK WAIT'`.execute(
        db,
      );
      if (Number(waits.rows[0]!.n) > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    release();
    await other;
    const outcomes = await units;
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: 2 },
    ]);
    const after = groupCommitStats(db);
    expect(after.aborted - before.aborted).toBe(1);
    const tags = await sql<{
      id: number;
      tag: string;
    }>`select id, tag from gc_rows where id in (1, 2) order by id`.execute(db);
    // The re-run units came after the other transaction, so theirs are the last writes.
    expect(tags.rows.map((r) => r.tag)).toEqual(['unit1', 'unit2']);
  });
});

// SQLite: a deferred foreign key fails the shared COMMIT.
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
