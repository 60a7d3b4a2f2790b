/**
 * Schema management: migrations (and the guarded database wipe) run under a cross-process lock, so
 * replicas starting together never double-apply a migration or wipe twice.
 */
import { closeSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  sql,
} from 'kysely';
import type { Logger } from '../logger.js';
import type { DbHandle } from './client.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export const MIGRATION_FILE = /^(\d{14})_[a-z0-9_]+\.(ts|js)$/;
/** A second replica seeing a wipe this recent treats it as its own (the guide's flag stays set for a deploy). */
const WIPE_WINDOW_MS = 10 * 60 * 1000;

/** Loads every timestamped migration file in src/db/migrations (works for .ts under tsx and built .js). */
class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly dir = MIGRATIONS_DIR) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const file of readdirSync(this.dir).sort()) {
      if (!MIGRATION_FILE.test(file) || file.endsWith('.d.ts')) continue;
      const mod = (await import(pathToFileURL(path.join(this.dir, file)).href)) as Migration;
      out[file.replace(/\.(ts|js)$/, '')] = mod;
    }
    return out;
  }
}

/** Runs fn while holding the schema lock: MySQL GET_LOCK on a dedicated connection, or a lock file for SQLite. */
export async function withSchemaLock<T>(handle: DbHandle, fn: () => Promise<T>): Promise<T> {
  if (handle.dialect === 'mysql') {
    return handle.db.connection().execute(async (conn) => {
      const lockName =
        `starchart_schema_${handle.config.dialect === 'mysql' ? handle.config.database : ''}`.slice(
          0,
          64,
        );
      const got = await sql<{ ok: number | null }>`select get_lock(${lockName}, 300) as ok`.execute(
        conn,
      );
      if (Number(got.rows[0]?.ok) !== 1)
        throw new Error('Timed out waiting for the schema lock held by another replica');
      try {
        return await fn();
      } finally {
        await sql`select release_lock(${lockName})`.execute(conn);
      }
    });
  }
  const file = handle.config.dialect === 'sqlite' ? `${handle.config.file}.schema-lock` : '';
  const deadline = Date.now() + 300_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a crashed process is stale after two minutes.
      try {
        if (Date.now() - statSync(file).mtimeMs > 120_000) unlinkSync(file);
      } catch {
        /* raced with its owner */
      }
      if (Date.now() > deadline)
        throw new Error('Timed out waiting for the schema lock held by another process');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}

export interface PrepareOptions {
  wipe: boolean;
  logger: Logger;
  /** Called after the database is wiped (e.g. to delete the queue's Redis keys). */
  onWipe?: () => Promise<void>;
  now?: () => number;
}

export interface PrepareResult {
  applied: string[];
  wiped: boolean;
}

/** Bring the schema up to date (wiping first when asked and not already done by a sibling replica). */
export async function prepareDatabase(
  handle: DbHandle,
  options: PrepareOptions,
): Promise<PrepareResult> {
  const now = options.now ?? Date.now;
  return withSchemaLock(handle, async () => {
    let wiped = false;
    if (options.wipe) {
      const last = await lastWipeAt(handle);
      if (last !== null && now() - last < WIPE_WINDOW_MS) {
        options.logger.warn(
          { lastWipeAt: new Date(last).toISOString() },
          'DANGER_DATABASE_WIPE_REINITIALIZE is set but another replica wiped the database moments ago; not wiping again',
        );
      } else {
        options.logger.warn(
          'DANGER_DATABASE_WIPE_REINITIALIZE=1: WIPING ALL DATA in the database and the job queue',
        );
        await dropAllTables(handle);
        await options.onWipe?.();
        wiped = true;
      }
    }
    const applied = await migrateToLatest(handle);
    if (applied.length > 0) options.logger.info({ applied }, 'database migrations applied');
    if (wiped) {
      await handle.db
        .updateTable('system_state')
        .set({ last_wipe_at: now(), updated_at: now() })
        .where('id', '=', 1)
        .execute();
      options.logger.warn('database wiped and schema recreated');
    }
    return { applied, wiped };
  });
}

/** Apply pending migrations; caller holds the schema lock. Returns the names applied. */
export async function migrateToLatest(handle: DbHandle): Promise<string[]> {
  const migrator = new Migrator({ db: handle.db, provider: new FolderMigrationProvider() });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(
      `Migration ${failed?.migrationName ?? '?'} failed: ${result.error instanceof Error ? result.error.message : JSON.stringify(result.error)}`,
      { cause: result.error },
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function lastWipeAt(handle: DbHandle): Promise<number | null> {
  try {
    const row = await handle.db
      .selectFrom('system_state')
      .select('last_wipe_at')
      .where('id', '=', 1)
      .executeTakeFirst();
    return row?.last_wipe_at === null || row?.last_wipe_at === undefined
      ? null
      : Number(row.last_wipe_at);
  } catch {
    return null; // no schema yet
  }
}

async function dropAllTables(handle: DbHandle): Promise<void> {
  const { db } = handle;
  if (handle.dialect === 'mysql') {
    await db.connection().execute(async (conn) => {
      const tables = await sql<{
        name: string;
      }>`select table_name as name from information_schema.tables where table_schema = database()`.execute(
        conn,
      );
      await sql`set foreign_key_checks = 0`.execute(conn);
      for (const { name } of tables.rows)
        await sql`drop table if exists ${sql.id(name)}`.execute(conn);
      await sql`set foreign_key_checks = 1`.execute(conn);
    });
  } else {
    await db.connection().execute(async (conn) => {
      const tables = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
        conn,
      );
      await sql`pragma foreign_keys = off`.execute(conn);
      for (const { name } of tables.rows)
        await sql`drop table if exists ${sql.id(name)}`.execute(conn);
      await sql`pragma foreign_keys = on`.execute(conn);
    });
  }
}

export { MIGRATIONS_DIR };
