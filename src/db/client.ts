/**
 * One Kysely instance per process, over mysql2 (deployments) or better-sqlite3 (embedded default).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  MysqlDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { Database } from './schema.js';
import type BetterSqlite3 from 'better-sqlite3';

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  dialect: DatabaseConfig['dialect'];
  config: DatabaseConfig;
  /** Cheap liveness query used by /healthcheck. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every SQLite transaction begins IMMEDIATE: it takes the database write lock at BEGIN, so a second
 * process (a CLI, a migration) waits there under busy_timeout instead of failing with SQLITE_BUSY when
 * its read snapshot turns out stale at the first write. It also makes a transaction the only writer from
 * its first statement, which is what per-user locks need (see lockUserRow).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly driverConfig: SqliteDialectConfig) {
    super(driverConfig);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.driverConfig);
  }
}

/**
 * Kysely's SQLite driver prepares every query afresh; preparing costs more than running the small
 * queries a page makes. Statements are reused per SQL text (bounded, oldest dropped first). Safe because
 * the driver runs one query at a time on the single connection and never iterates two at once.
 *
 * Reading statements return rows as arrays (better-sqlite3's raw mode) turned into objects by a small
 * function made for the statement's columns: better-sqlite3 builds each row object property by property
 * through the V8 API, which took 18% of the records page's main-thread instructions (callgrind); doing
 * it in JavaScript is cheaper. Same objects, same key order, same values.
 */
function cachingStatements(database: BetterSqlite3.Database, max = 500) {
  const cache = new Map<string, CachedStatement>();
  return {
    prepare(sqlText: string): CachedStatement {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = withRowObjects(database.prepare(sqlText));
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sqlText, stmt);
      }
      return stmt;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}

type CachedStatement = Pick<BetterSqlite3.Statement, 'reader' | 'run' | 'all' | 'iterate'>;

function withRowObjects(stmt: BetterSqlite3.Statement): CachedStatement {
  if (!stmt.reader) return stmt;
  const names = stmt.columns().map((c) => c.name);
  // Every row gets the same keys in the same order, so V8 gives them one shape. Duplicate names (a
  // join's two "id"s): the last wins, as in better-sqlite3's own objects.
  const toObject = (row: unknown[]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) o[names[i]!] = row[i];
    return o;
  };
  stmt.raw(true);
  return {
    reader: true,
    run: (...params: unknown[]) => stmt.run(...params),
    all: (...params: unknown[]) => (stmt.all(...params) as unknown[][]).map(toObject),
    *iterate(...params: unknown[]) {
      for (const row of stmt.iterate(...params)) yield toObject(row as unknown[]);
    },
  };
}

export async function createDb(config: DatabaseConfig): Promise<DbHandle> {
  let db: Db;
  let ping = async () => {
    await sql`select 1`.execute(db);
  };
  if (config.dialect === 'sqlite') {
    // eslint-disable-next-line no-restricted-syntax -- better-sqlite3 stays outside the bundle; uses .default
    const { default: SQLite } = await import('better-sqlite3');
    if (config.file !== ':memory:') mkdirSync(path.dirname(config.file), { recursive: true });
    const database = new SQLite(config.file);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 10000');
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
    db = new Kysely<Database>({
      dialect: new ImmediateSqliteDialect({ database: cachingStatements(database) }),
    });
    // /healthcheck is hot: reuse one prepared statement instead of preparing per request.
    const pingStatement = database.prepare('select 1');
    ping = async () => {
      pingStatement.get();
    };
  } else {
    // `.default` (module.exports): the only export a CommonJS package keeps through a dynamic import in
    // the production bundle (scripts/bundle.mjs), and also what Node gives.
    // eslint-disable-next-line no-restricted-syntax -- uses .default
    const { createPool } = (await import('mysql2')).default;
    const pool = createPool({
      uri: config.url,
      connectionLimit: 10,
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      charset: 'utf8mb4',
    });
    db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  }
  return {
    db,
    dialect: config.dialect,
    config,
    ping: () => ping(),
    async close() {
      await db.destroy();
    },
  };
}

/** Create the MySQL database named in the URL if it does not exist (development and tests). */
export async function ensureMysqlDatabase(url: string): Promise<void> {
  // eslint-disable-next-line no-restricted-syntax -- uses .default
  const { createConnection } = (await import('mysql2/promise')).default;
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  u.pathname = '/';
  const conn = await createConnection({ uri: u.toString() });
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${name.replace(/`/g, '')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await conn.end();
  }
}
