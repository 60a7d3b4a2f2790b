/**
 * `inTransaction(db, fn)`: run `fn` in a database transaction, with group commit on SQLite.
 *
 * SQLite has one writer, so write transactions run one after another; each COMMIT appends its pages to
 * the WAL (and now and then checkpoints it), about a fifth of a millisecond on this kind of machine,
 * often more than the transaction's own statements. Here a transaction starts at the end of the
 * event-loop turn in which it was asked for, and every unit asked for by then (requests whose data
 * arrived in the same turn) runs in it, each inside its own SAVEPOINT, committed once. A unit that
 * throws is rolled back to its savepoint (its writes vanish, the others' stay) and its promise rejects
 * with its own error; if the COMMIT itself fails, every unit of the batch rejects. No unit's promise
 * resolves before its COMMIT.
 * Units of a batch run in arrival order and see each other's writes, exactly as if run one by one.
 *
 * On MySQL this is db.transaction(): InnoDB runs transactions side by side and locks rows, and batching
 * them would only serialise them.
 *
 * `fn` must use only `trx` (never `db`) and do nothing but database work: a batch holds the single
 * SQLite connection until every unit in it has finished.
 */
import { type Transaction, sql } from 'kysely';
import type { Db } from './client.js';
import { isMysql } from './dialect.js';
import type { Database } from './schema.js';

/** Units committed together at most (bounds how long one batch holds the writer). */
const MAX_BATCH = 64;

type Unit = {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

class GroupCommit {
  private readonly queue: Unit[] = [];
  private running = false;
  /** Transactions run and units carried (for tests and benchmarks). */
  readonly stats = { transactions: 0, units: 0 };

  constructor(private readonly db: Db) {}

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
            await sql`release unit`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`rollback to unit`.execute(trx);
            await sql`release unit`.execute(trx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
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

/** Run `fn` in a transaction (grouped with concurrent ones on SQLite; see the module comment). */
export function inTransaction<T>(
  db: Db,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (isMysql(db)) return db.transaction().execute(fn);
  return runnerFor(db).run(fn);
}

/** How many transactions carried how many units on this SQLite database so far. */
export function groupCommitStats(db: Db): { transactions: number; units: number } {
  return { ...runnerFor(db).stats };
}
