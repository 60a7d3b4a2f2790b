/**
 * `inTransaction(db, fn)`: run `fn` in a database transaction, committed together with the other
 * transactions asked for at about the same time (group commit).
 *
 * Every caller is a DNS change (records, challenge values, tokens), and every DNS change bumps the one
 * zone-serial row, which it holds locked until COMMIT (decision 0010): such transactions run one after
 * another whatever the database. What differs is the price of a COMMIT, paid once per transaction:
 * SQLite appends its pages to the WAL (a fifth of a millisecond here, often more than the statements),
 * InnoDB flushes its log (several milliseconds here). So a transaction starts at the end of the
 * event-loop turn in which it was asked for, or when the one before it ends, and every unit asked for
 * by then runs in it, each inside its own SAVEPOINT, committed once. A unit that throws is rolled back
 * to its savepoint (its writes vanish, the others' stay) and its promise rejects with its own error; if
 * the COMMIT itself fails, every unit of the batch rejects. No unit's promise resolves before its COMMIT.
 * Units of a batch run in arrival order and see each other's writes, exactly as if run one by one.
 *
 * MySQL only: an error that makes InnoDB roll back the whole transaction (a deadlock with another
 * replica's batch) ends the batch at once; nothing of it was committed, and its units are run again,
 * each in a transaction of its own, so only a unit that meets the error again rejects with it.
 *
 * `fn` must use only `trx` (never `db`) and do nothing but database work: a batch holds its connection
 * (SQLite's only one) until every unit in it has finished.
 */
import { type Transaction, sql } from 'kysely';
import type { Db } from './client.js';
import { isDeadlock, isMysql } from './dialect.js';
import type { Database } from './schema.js';

/** Units committed together at most (bounds how long one batch holds the writer). */
const MAX_BATCH = 64;

/** Thrown out of a MySQL batch whose transaction InnoDB has rolled back (see the module comment). */
class BatchAborted extends Error {
  constructor(readonly reason: unknown) {
    super('group commit: the transaction was rolled back by the database');
  }
}

type Unit = {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

class GroupCommit {
  private readonly queue: Unit[] = [];
  private running = false;
  /** Transactions run, units carried and batches the database rolled back (for tests and benchmarks). */
  readonly stats = { transactions: 0, units: 0, aborted: 0 };
  private readonly mysql: boolean;

  constructor(private readonly db: Db) {
    this.mysql = isMysql(db);
  }

  /** Run each unit in a transaction of its own (after a batch was rolled back by the database). */
  private async runAlone(batch: Unit[]): Promise<void> {
    for (const unit of batch) {
      this.stats.transactions++;
      try {
        unit.resolve(await this.db.transaction().execute(unit.fn));
      } catch (error) {
        unit.reject(error);
      }
    }
  }

  run<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        // Start at the end of this event-loop turn: requests whose data arrived in the same turn join.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runBatch(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.running = false;
    }
  }

  private async runBatch(batch: Unit[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    this.stats.transactions++;
    this.stats.units += batch.length;
    try {
      await this.db.transaction().execute(async (trx) => {
        if (batch.length === 1) {
          // Alone: no savepoint; if it throws, the whole transaction rolls back.
          outcomes.push({ ok: true, value: await batch[0]!.fn(trx) });
          return;
        }
        for (const unit of batch) {
          await sql`savepoint unit`.execute(trx);
          try {
            const value = await unit.fn(trx);
            await sql`release savepoint unit`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            if (this.mysql && isDeadlock(error)) throw new BatchAborted(error);
            await sql`rollback to savepoint unit`.execute(trx);
            await sql`release savepoint unit`.execute(trx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      if (error instanceof BatchAborted) {
        this.stats.aborted++;
        await this.runAlone(batch);
        return;
      }
      // The lone unit threw, or BEGIN/COMMIT failed: nothing of the batch was committed.
      for (let i = 0; i < batch.length; i++)
        if (outcomes[i] === undefined || outcomes[i]!.ok) outcomes[i] = { ok: false, error };
    }
    batch.forEach((unit, i) => {
      const o = outcomes[i]!;
      if (o.ok) unit.resolve(o.value);
      else unit.reject(o.error);
    });
  }
}

const runners = new WeakMap<Db, GroupCommit>();

function runnerFor(db: Db): GroupCommit {
  let runner = runners.get(db);
  if (!runner) runners.set(db, (runner = new GroupCommit(db)));
  return runner;
}

/** Run `fn` in a transaction, grouped with concurrent ones (see the module comment). */
export function inTransaction<T>(
  db: Db,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return runnerFor(db).run(fn);
}

/** How many transactions carried how many units on this database so far. */
export function groupCommitStats(db: Db): { transactions: number; units: number; aborted: number } {
  return { ...runnerFor(db).stats };
}
