/**
 * Two real service processes (ROLE=all) on MariaDB and a Redis of this test's own, which the test
 * flushes, kills and restarts: recurring jobs come back after the queue is emptied without restarting
 * any process, /healthcheck says so while they are missing, and a certificate whose issuance job was
 * in flight on a replica killed with SIGKILL is issued by the survivor, with or without Redis being
 * emptied at the same time.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitSettled } from '../support/certificates.js';
import { type TestDb, createTestDb } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';
import { ROOT, type Spawned, freePort, spawnTsx, waitForHttp } from '../support/process.js';
import { type DedicatedRedis, startDedicatedRedis } from '../support/redis.js';

const MAIN = path.join(ROOT, 'src', 'main.ts');
const REPLICA = path.join(ROOT, 'test', 'fixtures', 'service-replica.ts');
/** Seconds between watchdog checks in these processes (JOBS_SCHEDULE_CHECK_INTERVAL_S). */
const CHECK_S = 8;
/** Every schedule the default configuration registers (development, no SMTP). */
const SCHEDULES = [
  'sessions.purge',
  'saml.purge',
  'reminders.scan',
  'expiry.process',
  'dns.reconcile',
  'dns.changes.purge',
  'certificate.renew-scan',
  'certificate.ari-poll',
  'certificate.sweep',
  'certificate.dispatch',
  'acme-challenges.expire',
];

let redis: DedicatedRedis;
const children: Spawned[] = [];
const dbs: TestDb[] = [];
beforeAll(async () => {
  redis = await startDedicatedRedis();
});
// Every process is gone before the next test: a leftover replica would take the next test's jobs.
afterEach(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.splice(0).map((c) => c.exit));
});
afterAll(async () => {
  await redis?.stop();
  for (const db of dbs) await db.cleanup();
});

async function freshDb(): Promise<TestDb> {
  const db = await createTestDb('mysql');
  dbs.push(db);
  return db;
}

interface Replica {
  proc: Spawned;
  url: string;
}

async function startReplica(
  script: string,
  db: TestDb,
  dataDir: string,
  extra: Record<string, string> = {},
): Promise<Replica> {
  const port = await freePort();
  const proc = spawnTsx(script, {
    ROLE: 'all',
    PORT: String(port),
    DNS_SERVER_PORT: String(await freePort()),
    DATABASE_URL: db.config.url,
    REDIS_URL: redis.url,
    DATA_DIR: dataDir,
    EXPIRATION_REPEAT_FREQUENCY_S: '1',
    JOBS_SCHEDULE_CHECK_INTERVAL_S: String(CHECK_S),
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...extra,
  });
  children.push(proc);
  await proc.waitForLine((l) => l.includes('"worker started"'), 60_000);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthcheck`, 30_000);
  return { proc, url };
}

interface Health {
  code: number;
  body: {
    status: string;
    checks: Record<string, { status: string; missingSchedules?: string[]; queueEmptied?: boolean }>;
  };
}

async function health(r: Replica): Promise<Health> {
  const res = await fetch(`${r.url}/healthcheck`);
  return { code: res.status, body: (await res.json()) as Health['body'] };
}

async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logLines = (r: Replica) =>
  r.proc.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg?: string; time?: string }];
    } catch {
      return [];
    }
  });

/** When the replica's watchdog last finished a check (its debug line), in epoch ms. */
const lastCheck = (r: Replica): number | null => {
  const line = logLines(r)
    .reverse()
    .find((l) => l.msg === 'job schedules checked');
  return line?.time ? Date.parse(line.time) : null;
};

/** An expired DNS record: only a run of the recurring expiry job removes it. */
async function expiredRecord(db: TestDb): Promise<number> {
  const user = await insertUser(db.db);
  const id = await insertRecord(db.db, user, 'old', 'A', '192.0.2.7');
  await db.db
    .updateTable('dns_records')
    .set({ expires_at: Date.now() - 1000 })
    .where('id', '=', id)
    .execute();
  return id;
}

async function recordGone(db: TestDb, id: number): Promise<boolean> {
  const row = await db.db
    .selectFrom('dns_records')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined;
}

describe('two replicas when Redis loses the queue', () => {
  it('recurring jobs run again after FLUSHDB and after an empty Redis restart, and /healthcheck says when schedules are missing', async () => {
    await redis.flush();
    const db = await freshDb();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-replicas-'));
    const a = await startReplica(MAIN, db, dataDir);
    const b = await startReplica(MAIN, db, dataDir);
    for (const r of [a, b]) {
      const h = await health(r);
      expect(h.code).toBe(200);
      expect(h.body.checks.jobs).toMatchObject({ status: 'ok' });
    }
    // The recurring expiry job runs (once a second here).
    const before = await expiredRecord(db);
    await waitUntil('expiry before the flush', () => recordGone(db, before), 30_000);

    // Flush when neither replica's watchdog is due for at least 3 s, so the window is observable.
    await waitUntil(
      'a moment between watchdog checks',
      async () => {
        const now = Date.now();
        const last = [lastCheck(a), lastCheck(b)];
        return last.every((t) => t !== null && t + CHECK_S * 1000 - now > 3000);
      },
      4 * CHECK_S * 1000,
    );
    await redis.flush();
    for (const h of await Promise.all([health(a), health(b)])) {
      expect(h.code).toBe(503);
      expect(h.body.checks.jobs?.status).toBe('error');
      expect([...(h.body.checks.jobs?.missingSchedules ?? [])].sort()).toEqual(
        [...SCHEDULES].sort(),
      );
      expect(h.body.checks.jobs?.queueEmptied).toBe(true);
    }
    // Nothing restarts; within a check interval a watchdog re-creates the schedules and expiry runs again.
    const afterFlush = await expiredRecord(db);
    await waitUntil('expiry after the flush', () => recordGone(db, afterFlush), 60_000);
    for (const r of [a, b])
      await waitUntil(`healthy again (${r.url})`, async () => (await health(r)).code === 200);
    const warned = [a, b].flatMap(logLines).map((l) => l.msg);
    expect(warned).toContain('job schedules were missing; re-created them');
    expect(warned).toContain('unfinished work re-enqueued');
    expect(await redis.client().zcard('starchart:jobs:repeat')).toBe(SCHEDULES.length);

    // Redis dies and comes back empty while both processes keep running: ioredis reconnects.
    await redis.kill();
    const down = await health(a);
    expect(down.code).toBe(503);
    expect(down.body.checks.redis?.status).toBe('error');
    await redis.restart();
    const afterRestart = await expiredRecord(db);
    await waitUntil('expiry after the restart', () => recordGone(db, afterRestart), 60_000);
    for (const r of [a, b])
      await waitUntil(`healthy after the restart (${r.url})`, async () => {
        const h = await health(r);
        return h.code === 200 && h.body.status === 'ok';
      });
    expect(a.proc.child.exitCode).toBeNull();
    expect(b.proc.child.exitCode).toBeNull();
    for (const r of [a, b]) {
      r.proc.child.kill('SIGTERM');
      expect((await r.proc.exit).code).toBe(0);
    }
  }, 240_000);
});

describe('a replica killed with a certificate issuance in flight', () => {
  it.each([
    ['Redis keeps the job: the stalled job is handed to the survivor', false],
    ['Redis is emptied too (failover): the survivor recovers it from the database', true],
  ])(
    '%s',
    async (_title, flush) => {
      await redis.flush();
      const db = await freshDb();
      const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-killed-'));
      const user = await insertUser(db.db);
      const now = Date.now();
      const ins = await db.db
        .insertInto('certificates')
        .values({
          user_id: user.id,
          domain: `${user.dns_label}.starchart.test`,
          status: 'pending',
          step: 'requested',
          inflight_user_id: user.id,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow();
      const certificateId = Number(ins.insertId);
      // The doomed replica starts alone; its start-up recovery enqueues the pending certificate, and its
      // worker takes the job and stops for good right after storing the new order.
      const doomed = await startReplica(REPLICA, db, dataDir, {
        STARCHART_TEST_HANG_AT_STEP: 'order-created',
      });
      await doomed.proc.waitForLine(
        (l) => l.includes('"hang"') && l.includes(`"certificateId":${certificateId}`),
        60_000,
      );
      const survivor = await startReplica(MAIN, db, dataDir);
      doomed.proc.child.kill('SIGKILL');
      expect((await doomed.proc.exit).signal).toBe('SIGKILL');
      if (flush) await redis.flush();

      const row = await waitSettled(db.db, certificateId, 180_000).catch((err: Error) => {
        // Say what the survivor did: its warnings, errors and certificate jobs.
        const seen = survivor.proc.lines.filter(
          (l) =>
            /"level":"(warn|error|fatal)"/.test(l) ||
            l.includes('certificate') ||
            l.includes('schedules'),
        );
        throw new Error(`${err.message}; survivor log:\n${seen.join('\n')}`);
      });
      expect(row.error).toBeNull();
      expect(row.status).toBe('issued');
      // Resumed from the stored step: the order the killed replica created is the only one.
      expect(readdirSync(path.join(dataDir, 'dev-ca', 'orders'))).toHaveLength(1);
      const msgs = logLines(survivor).map((l) => l.msg);
      if (flush) expect(msgs).toContain('unfinished work re-enqueued');
      survivor.proc.child.kill('SIGTERM');
      expect((await survivor.proc.exit).code).toBe(0);
    },
    300_000,
  );
});
