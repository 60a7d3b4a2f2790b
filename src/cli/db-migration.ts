/**
 * `npm run db:migration [name]`: create a new, empty migration file
 * src/db/migrations/{YYYYMMDDHHMMSS}_{name}.ts from a template. The name comes from the command line or,
 * on a terminal, from a prompt; it must be snake_case (lower-case letters, digits, underscores).
 * Never edits existing migrations: schema changes always go into a new file.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';

export const MIGRATION_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const DEFAULT_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'db',
  'migrations',
);

/** UTC timestamp in the migration file format, e.g. 20261126150000. */
export function migrationTimestamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    p(date.getUTCFullYear(), 4) +
    p(date.getUTCMonth() + 1) +
    p(date.getUTCDate()) +
    p(date.getUTCHours()) +
    p(date.getUTCMinutes()) +
    p(date.getUTCSeconds())
  );
}

/** Why a name is unacceptable, or null when it is fine. */
export function migrationNameProblem(name: string): string | null {
  if (name.length === 0) return 'a name is required';
  if (name.length > 80) return 'the name must be at most 80 characters';
  if (!MIGRATION_NAME.test(name))
    return 'use snake_case: lower-case letters, digits and single underscores, starting with a letter (e.g. add_user_notes)';
  return null;
}

/** The new file's content: it refuses to run until up() is written, so an empty migration is never recorded as applied. */
export function migrationTemplate(fileName: string): string {
  return `import type { Kysely } from 'kysely';
// import { sql } from 'kysely';
// import { isMysql } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and use untyped builders */

// Runs once, in file-name order, under the schema lock, on MySQL/MariaDB and on SQLite: branch with
// isMysql(db) where the dialects differ. Times are epoch milliseconds (bigint); booleans are 0/1 integers.
// Never edit a migration that has been deployed: add a new one instead.
export async function up(db: Kysely<any>): Promise<void> {
  // e.g. await db.schema.alterTable('users').addColumn('notes', 'text').execute();
  void db;
  throw new Error('${fileName}: up() has not been written yet');
}

export async function down(db: Kysely<any>): Promise<void> {
  // e.g. await db.schema.alterTable('users').dropColumn('notes').execute();
  void db;
}
`;
}

/** Write the new migration file; throws if the name is invalid or the file would clash. */
export function createMigrationFile(name: string, dir = DEFAULT_DIR, now = new Date()): string {
  const problem = migrationNameProblem(name);
  if (problem) throw new Error(`Invalid migration name "${name}": ${problem}`);
  const stamp = migrationTimestamp(now);
  const clash = readdirSync(dir).find((f) => f.startsWith(`${stamp}_`));
  if (clash) throw new Error(`A migration with timestamp ${stamp} already exists (${clash})`);
  const latest = readdirSync(dir)
    .filter((f) => /^\d{14}_/.test(f))
    .sort()
    .at(-1);
  if (latest && latest.slice(0, 14) > stamp)
    throw new Error(`Migration ${latest} is newer than ${stamp}; check the system clock`);
  const file = path.join(dir, `${stamp}_${name}.ts`);
  if (existsSync(file)) throw new Error(`${file} already exists`);
  writeFileSync(file, migrationTemplate(path.basename(file)), { flag: 'wx' });
  return file;
}

async function askName(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      const answer = (
        await rl.question('Name of the migration (snake_case, e.g. add_user_notes): ')
      )
        .trim()
        .toLowerCase();
      const problem = migrationNameProblem(answer);
      if (!problem) return answer;
      process.stdout.write(`  ${problem}\n`);
    }
  } finally {
    rl.close();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dirFlag = args.indexOf('--dir');
  let dir = DEFAULT_DIR;
  if (dirFlag !== -1) {
    dir = path.resolve(args[dirFlag + 1] ?? '.');
    args.splice(dirFlag, 2);
  }
  let name = args[0];
  if (name === undefined) {
    if (!process.stdin.isTTY) {
      process.stderr.write('usage: npm run db:migration -- <snake_case_name>\n');
      return 2;
    }
    name = await askName();
  }
  try {
    const file = createMigrationFile(name, dir);
    process.stdout.write(
      `Created ${path.relative(process.cwd(), file)}\nEdit up() and down(), then run npm run db:migrate.\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
