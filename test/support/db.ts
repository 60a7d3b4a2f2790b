/**
 * A fresh, migrated database per test file, on either dialect: a temp SQLite file, or a MariaDB database
 * named for the worker and process, dropped at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import type { DatabaseConfig } from '../../src/config.js';
import { type DbHandle, createDb, ensureMysqlDatabase } from '../../src/db/client.js';
import { prepareDatabase } from '../../src/db/migrate.js';
import { TEST_MYSQL_URL } from './env.js';

export type Dialect = 'sqlite' | 'mysql';
export const DIALECTS: Dialect[] = ['sqlite', 'mysql'];
export const silentLogger = pino({ level: 'silent' });

let counter = 0;

/** A database config that is unique to this test process. */
export function uniqueDatabaseConfig(
  dialect: Dialect,
): DatabaseConfig & { cleanup: () => Promise<void> } {
  counter++;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'starchart-test-'));
    const file = path.join(dir, 'test.sqlite');
    return {
      dialect,
      file,
      url: `sqlite:${file}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `starchart_test_${process.env.VITEST_POOL_ID ?? '0'}_${process.pid}_${counter}`;
  const url = `${TEST_MYSQL_URL.replace(/\/+$/, '')}/${name}`;
  return {
    dialect,
    url,
    database: name,
    cleanup: async () => {
      const conn = await createConnection({ uri: TEST_MYSQL_URL });
      await conn.query(`drop database if exists \`${name}\``);
      await conn.end();
    },
  };
}

export interface TestDb extends DbHandle {
  cleanup(): Promise<void>;
}

/** Create, migrate and return a database; call cleanup() in afterAll. */
export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  const cfg = uniqueDatabaseConfig(dialect);
  if (cfg.dialect === 'mysql') await ensureMysqlDatabase(cfg.url);
  const handle = await createDb(cfg);
  await prepareDatabase(handle, { wipe: false, logger: silentLogger });
  return {
    ...handle,
    async cleanup() {
      await handle.close();
      await cfg.cleanup();
    },
  };
}
