import { allMigrationNames } from '../support/migrations.js';
/** The database commands of the operator's guide: db:migration, db:migrate and db:seed. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMigrationFile,
  listMigrationFiles,
  migrationIndexSource,
  migrationNameProblem,
  migrationTimestamp,
} from '../../src/cli/db-migration.js';
import { MIGRATION_FILE } from '../../src/db/migrate.js';
import { TEST_MYSQL_URL } from '../support/env.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'starchart-dbcli-'));
const mysqlDb = `starchart_cli_${process.pid}_${Date.now().toString(36)}`;
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  const conn = await createConnection({ uri: TEST_MYSQL_URL });
  await conn.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``);
  await conn.end();
});

const tsx = (script: string, args: string[], env: Record<string, string>) =>
  spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, script), ...args], {
    cwd: work,
    env: { PATH: process.env.PATH, HOME: work, ...env },
    encoding: 'utf8',
  });

describe('npm run db:migration', () => {
  it('validates names as snake_case', () => {
    expect(migrationNameProblem('add_user_notes')).toBeNull();
    expect(migrationNameProblem('v2_indexes')).toBeNull();
    for (const bad of [
      '',
      'Add Notes',
      'add-notes',
      '1_first',
      'a__b',
      'trailing_',
      'x'.repeat(81),
    ])
      expect(migrationNameProblem(bad), bad).not.toBeNull();
  });

  it('creates a timestamped file the migrator will load, that refuses to run until written', async () => {
    const dir = mkdtempSync(path.join(work, 'migrations-'));
    const file = createMigrationFile(
      'add_user_notes',
      dir,
      new Date(Date.UTC(2027, 0, 2, 3, 4, 5)),
    );
    expect(path.basename(file)).toBe('20270102030405_add_user_notes.ts');
    expect(MIGRATION_FILE.test(path.basename(file))).toBe(true);
    const mod = (await import(file)) as { up: (db: unknown) => Promise<void> };
    await expect(mod.up({})).rejects.toThrow(
      '20270102030405_add_user_notes.ts: up() has not been written yet',
    );
    // Same second: refused rather than overwritten; older than the newest: refused (clock problem).
    expect(() =>
      createMigrationFile('other', dir, new Date(Date.UTC(2027, 0, 2, 3, 4, 5))),
    ).toThrow(/already exists/);
    expect(() => createMigrationFile('older', dir, new Date(Date.UTC(2026, 0, 1)))).toThrow(
      /newer than/,
    );
    expect(() => createMigrationFile('Bad Name', dir)).toThrow(/snake_case/);
    expect(readdirSync(dir).sort()).toEqual(['20270102030405_add_user_notes.ts', 'index.ts']);
    // The migrator reads migrations/index.ts, which lists the new file.
    expect(readFileSync(path.join(dir, 'index.ts'), 'utf8')).toContain(
      `'20270102030405_add_user_notes': m20270102030405_add_user_notes,`,
    );
  });

  it('src/db/migrations/index.ts lists exactly the migration files in its folder', () => {
    const dir = path.join(root, 'src/db/migrations');
    expect(readFileSync(path.join(dir, 'index.ts'), 'utf8')).toBe(
      migrationIndexSource(listMigrationFiles(dir)),
    );
  });

  it('the command takes the name from the command line, and refuses to prompt without a terminal', () => {
    const dir = mkdtempSync(path.join(work, 'cmd-'));
    const ok = tsx('src/cli/db-migration.ts', ['--dir', dir, 'add_flags'], {});
    expect(ok.status).toBe(0);
    expect(listMigrationFiles(dir)).toHaveLength(1);
    expect(listMigrationFiles(dir)[0]).toMatch(/^\d{14}_add_flags\.ts$/);
    expect(listMigrationFiles(dir)[0]!.slice(0, 8)).toBe(
      migrationTimestamp(new Date()).slice(0, 8),
    );
    const bad = tsx('src/cli/db-migration.ts', ['--dir', dir, 'Add-Flags'], {});
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('snake_case');
    const noName = tsx('src/cli/db-migration.ts', ['--dir', dir], {});
    expect(noName.status).toBe(2);
    expect(noName.stderr).toContain('usage: npm run db:migration');
  });
});

describe('npm run db:migrate', () => {
  it('creates (outside production) and migrates the database named by DATABASE_URL, then exits', async () => {
    const url = `${TEST_MYSQL_URL.replace(/\/+$/, '')}/${mysqlDb}`;
    const first = tsx('src/cli/db-migrate.ts', [], { DATABASE_URL: url, DATA_DIR: work });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`"applied":${JSON.stringify(allMigrationNames())}`);
    const again = tsx('src/cli/db-migrate.ts', [], { DATABASE_URL: url, DATA_DIR: work });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('database schema already up to date');
    const conn = await createConnection({ uri: url });
    const [rows] = await conn.query('SELECT name FROM kysely_migration');
    await conn.end();
    expect(rows).toEqual(allMigrationNames().map((name) => ({ name })));
  });

  it('exits 78 listing every problem when the configuration is invalid', () => {
    const r = tsx('src/cli/db-migrate.ts', [], { NODE_ENV: 'production' });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('DATABASE_URL is required in production');
    expect(r.stderr).toContain('SESSION_SECRET (secret) is required in production');
  });
});

describe('npm run db:seed', () => {
  it('adds the development IdP users once, and refuses in production', () => {
    const env = { DATA_DIR: path.join(work, 'seed-data') };
    const first = tsx('src/cli/db-seed.ts', [], env);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('"added":["user1","user2","user3","han.solo"]');
    const second = tsx('src/cli/db-seed.ts', [], env);
    expect(second.stdout).toContain('"added":[],"skipped":4');
    const prod = tsx('src/cli/db-seed.ts', [], { ...env, NODE_ENV: 'production' });
    expect(prod.status).toBe(1);
    expect(prod.stderr).toContain('refusing with NODE_ENV=production');
  });

  it('seeds the same identities as the SimpleSAMLphp fixture', async () => {
    const { SEED_USERS } = await import('../../src/cli/db-seed.js');
    const fixture = readFileSync(
      path.join(root, 'docker/simplesamlphp/config/authsources.php'),
      'utf8',
    );
    expect(SEED_USERS.length).toBe(4);
    for (const u of SEED_USERS) {
      expect(fixture).toContain(`'sAMAccountName' => ['${u.username}']`);
      expect(fixture).toContain(`'displayname' => ['${u.display_name}']`);
      expect(fixture).toContain(`'email' => ['${u.email}']`);
      expect(fixture).toContain(`'group' => [${u.groups.map((g) => `'${g}'`).join(', ')}]`);
    }
  });
});
