/**
 * SQLite shared by two processes (the service and a CLI, or a second service started by mistake): every
 * transaction begins IMMEDIATE (src/db/client.ts), so a create that starts while another process holds
 * the write lock waits for it, then sees its commit. With a deferred BEGIN the create's read snapshot
 * would be stale by the time it writes: SQLite refuses that write (SQLITE_BUSY_SNAPSHOT), or, without
 * the error, the per-user limit would count a snapshot that is already out of date.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { User } from '../../src/db/schema.js';
import { createDnsRecord } from '../../src/domain/dns-records/dns-records.js';
import { isAppError } from '../../src/errors.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import { type TestDb, createTestDb } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { ROOT } from '../support/process.js';

/** Another process: take the write lock, insert one record for the user, hold the lock, commit. */
const HOLDER = `
const { createRequire } = require('node:module');
const Database = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('better-sqlite3');
const [file, userId, holdMs] = process.argv.slice(2);
const db = new Database(file);
db.pragma('busy_timeout = 10000');
db.exec('begin immediate');
const now = Date.now();
db.prepare(\`insert into dns_records (user_id, subdomain, type, value, expires_at, created_at, updated_at)
  values (?, 'other', 'A', '192.0.2.99', ?, ?, ?)\`).run(Number(userId), now + 1e9, now, now);
console.log('locked');
setTimeout(() => { db.exec('commit'); db.close(); }, Number(holdMs));
`;

function holdWriteLock(file: string, userId: number, holdMs: number) {
  const script = path.join(path.dirname(file), 'holder.cjs');
  writeFileSync(script, HOLDER);
  const child = spawn(process.execPath, [script, file, String(userId), String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) =>
      reject(new Error(`lock holder exited with ${code} before locking`)),
    );
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { locked, exited };
}

describe('SQLite shared with another process', () => {
  let tdb: TestDb;
  let file: string;
  beforeAll(async () => {
    tdb = await createTestDb('sqlite');
    file = (tdb.config as { file: string }).file;
  });
  afterAll(async () => tdb.cleanup());

  const deps = (limit: number) => ({
    db: tdb.db,
    config: loadConfig({
      NODE_ENV: 'test',
      ROOT_DOMAIN: 'starchart.test',
      USER_DNS_RECORD_LIMIT: String(limit),
    }),
    clock: { now: () => Date.now() },
    queue: { enqueue: () => Promise.resolve() } as unknown as JobQueue,
  });
  const create = (user: User, limit: number, subdomain: string) =>
    createDnsRecord(
      deps(limit),
      { user, effectiveUser: user, requestId: 't' },
      {
        subdomain,
        type: 'A',
        value: '192.0.2.1',
      },
    );
  const count = async (user: User) =>
    Number(
      (
        await tdb.db
          .selectFrom('dns_records')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', user.id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('a create waits for the other process to commit, then succeeds and counts its record', async () => {
    const user = await insertUser(tdb.db);
    const holder = holdWriteLock(file, user.id, 400);
    await holder.locked;
    await create(user, 10, 'mine');
    expect(await holder.exited).toBe(0);
    expect(await count(user)).toBe(2);
  });

  it('the per-user limit counts the record the other process committed while the create waited', async () => {
    const user = await insertUser(tdb.db);
    for (const name of ['a1', 'a2', 'a3', 'a4'])
      await insertRecord(tdb.db, user, name, 'A', '192.0.2.1');
    const holder = holdWriteLock(file, user.id, 400);
    await holder.locked; // the other process is adding the 5th record
    const err = await create(user, 5, 'sixth').catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('LIMIT_EXCEEDED');
    expect(await holder.exited).toBe(0);
    expect(await count(user)).toBe(5);
  });
});
