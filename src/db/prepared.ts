/**
 * Queries compiled once per dialect, for the few that run on every signed-in request. Kysely builds and
 * compiles a query in 20–40 µs on this kind of machine, longer than SQLite takes to run the session
 * lookup; a prepared query reuses the SQL and substitutes only the parameters.
 *
 *   const findX = preparedQuery((db, userId: number, kind: string) =>
 *     db.selectFrom('x').selectAll().where('user_id', '=', userId).where('kind', '=', kind));
 *   const rows = await findX(db, 42, 'a');
 *
 * `build` runs once per dialect with placeholders standing in for the arguments, so it must pass each
 * argument to Kysely as a value (where/values/set), never inspect or branch on it. Keep LIMIT and
 * OFFSET out of the arguments: SQLite re-prepares a statement on every run when they are bound
 * parameters (see findDnsRecordsPage, which compiles one query per page window instead).
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Db } from './client.js';
import type { Database } from './schema.js';

class Placeholder {
  constructor(readonly index: number) {}
}

export function preparedQuery<A extends unknown[], O>(
  build: (db: Db, ...args: A) => Compilable<O>,
): (db: Kysely<Database>, ...args: A) => Promise<O[]> {
  // Keyed by the dialect adapter: a Kysely instance and its transactions share it.
  const compiled = new WeakMap<object, CompiledQuery<O>>();
  return async (db, ...args) => {
    const key = db.getExecutor().adapter;
    let query = compiled.get(key);
    if (!query) {
      const placeholders = args.map((_, i) => new Placeholder(i)) as unknown as A;
      query = build(db, ...placeholders).compile();
      const used = new Set(
        query.parameters.flatMap((p) => (p instanceof Placeholder ? [p.index] : [])),
      );
      if (used.size !== args.length)
        throw new Error('preparedQuery: every argument must reach the query as a value');
      compiled.set(key, query);
    }
    const parameters = query.parameters.map((p) => (p instanceof Placeholder ? args[p.index] : p));
    return (await db.executeQuery<O>({ ...query, parameters })).rows;
  };
}
