/**
 * Lifecycle end to end: reminders at thresholds, expiry that removes the name from the built-in DNS
 * server, emails over real SMTP exactly once; and two replicas on MariaDB + Redis over a simulated month.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../src/adapters/queue/bullmq.js';
import { loadConfig } from '../../src/config.js';
import { createContainer, prepareSchema, type Container } from '../../src/container.js';
import { createDnsRecord } from '../../src/domain/dns-records/dns-records.js';
import { startJobs } from '../../src/jobs/worker.js';
import { type RunningService, startService } from '../../src/service.js';
import { silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { insertUser } from '../support/factories.js';
import { dig } from '../support/knot.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';

const DAY = 86_400_000;
const ROOT = 'lifecycle.test';

class TestClock {
  constructor(public t: number) {}
  now = () => this.t;
}

async function until(fn: () => Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('a record through its whole life (embedded mode, real SMTP, dig)', () => {
  let service: RunningService;
  let smtp: SmtpCapture;
  let dataDir: string;
  let cleanupDb: () => Promise<void>;
  const clock = new TestClock(Date.UTC(2027, 2, 1));

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-lifecycle-'));
    const db = uniqueDatabaseConfig('sqlite');
    cleanupDb = db.cleanup;
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      ROOT_DOMAIN: ROOT,
      PORT: '0',
      HOST: '127.0.0.1',
      DNS_SERVER_PORT: '0',
      DNS_RECORD_LIFETIME_DAYS: '29',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
    });
    service = await startService(config, silentLogger, { clock });
  });
  afterAll(async () => {
    await service?.stop();
    await smtp?.close();
    await cleanupDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const runJob = async (name: string) => {
    const before = await service.container.queue.counts();
    await service.container.queue.enqueue(name, {});
    void before;
    await until(async () => {
      const c = await service.container.queue.counts();
      return c.active === 0 && c.waiting === 0;
    });
  };
  const mailsTo = (to: string) =>
    smtp.received.filter((m) => m.to && JSON.stringify(m.to).includes(to));

  it('29 days out: one reminder; 6 days out: one more; after expiry: NXDOMAIN and one "expired" email', async () => {
    const { container } = service;
    const user = await insertUser(container.dbh.db, {
      username: 'ada',
      dns_label: 'ada',
      email: 'ada@example.edu',
    });
    await createDnsRecord(
      { db: container.dbh.db, config: container.config, clock, queue: container.queue },
      { user, effectiveUser: user, requestId: 'test' },
      { subdomain: 'www', type: 'A', value: '192.0.2.10' },
    );
    const port = service.dnsPort!;
    expect(
      await until(async () => (await dig(port, `www.ada.${ROOT}`, 'A')).answers.length === 1),
    ).toBe(true);

    await runJob('reminders.scan');
    clock.t += 3_600_000;
    await runJob('reminders.scan');
    expect(await until(async () => mailsTo('ada@example.edu').length === 1)).toBe(true);
    expect(mailsTo('ada@example.edu')[0]!.subject).toContain('expiring soon');

    clock.t += 23 * DAY - 3_600_000; // 6 days left
    await runJob('reminders.scan');
    await runJob('reminders.scan');
    expect(await until(async () => mailsTo('ada@example.edu').length === 2)).toBe(true);

    clock.t += 6 * DAY + 60_000; // expired
    await runJob('expiry.process');
    await runJob('expiry.process');
    expect(
      await until(async () => (await dig(port, `www.ada.${ROOT}`, 'A')).status === 'NXDOMAIN'),
    ).toBe(true);
    expect(await until(async () => mailsTo('ada@example.edu').length === 3)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const mails = mailsTo('ada@example.edu');
    expect(mails).toHaveLength(3);
    expect(mails[2]!.subject).toContain('expired');
    expect(mails[2]!.text).toContain(`www.ada.${ROOT}`);
    expect(await container.dbh.db.selectFrom('dns_records').selectAll().execute()).toEqual([]);
  });
});

describe('two replicas, one Redis, one MariaDB, a simulated month', () => {
  let smtp: SmtpCapture;
  const replicas: Container[] = [];
  const prefix = `starchart-test-month-${process.pid}`;
  let cleanupDb: () => Promise<void>;
  const dirs: string[] = [];
  const clock = new TestClock(Date.UTC(2027, 5, 1));

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    const db = uniqueDatabaseConfig('mysql');
    cleanupDb = db.cleanup;
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-month-'));
      dirs.push(dataDir);
      const config = loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        ROOT_DOMAIN: ROOT,
        DNS_SERVER_PORT: '0',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
      });
      const c = await createContainer(config, silentLogger, { clock, redisPrefix: prefix });
      await prepareSchema(c, prefix);
      await startJobs({
        config,
        queue: c.queue,
        registry: c.registry,
        deps: c.jobDeps,
        logger: silentLogger,
      });
      replicas.push(c);
    }
  });
  afterAll(async () => {
    for (const c of replicas) {
      await c.queue.close(1000);
      await c.close();
    }
    await smtp?.close();
    await cleanupDb?.();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('sends every reminder and expiry email exactly once, even when both replicas run every scan', async () => {
    const [a] = replicas as [Container, Container];
    const db = a.dbh.db;
    const expected = new Map<string, number>();
    // Twelve users, one record each, expiring 2..35 days into the month.
    for (let i = 0; i < 12; i++) {
      const user = await insertUser(db, { email: `m${i}@example.edu` });
      const days = 2 + i * 3;
      await db
        .insertInto('dns_records')
        .values({
          user_id: user.id,
          subdomain: `r${i}`,
          type: 'A',
          value: '192.0.2.1',
          priority: null,
          ports: null,
          course: null,
          description: null,
          expires_at: clock.t + days * DAY,
          status_message: null,
          created_at: clock.t,
          updated_at: clock.t,
        })
        .execute();
      // Scans start at day 0 and run for 30 days: count thresholds crossed (30, 7, 1 collapse when crossed together).
      const crossed = [30, 7, 1].filter((t) => days - t <= 30);
      const scansThatSend = new Set(crossed.map((t) => Math.max(0, Math.ceil((days - t) * 4) / 4)));
      expected.set(`m${i}@example.edu`, scansThatSend.size + (days <= 30 ? 1 : 0));
    }
    const drain = async () =>
      until(async () => {
        const counts = await Promise.all(replicas.map((c) => c.queue.counts()));
        const pending = await db
          .selectFrom('email_outbox')
          .select('id')
          .where('status', 'in', ['pending', 'sending'])
          .execute();
        // Recurring schedules always leave a delayed job behind, so only waiting/active count here.
        return counts.every((c) => c.active === 0 && c.waiting === 0) && pending.length === 0;
      }, 30_000);
    // Every 6 simulated hours both replicas fire the reminder scan; once a day both fire expiry.
    for (let step = 0; step <= 30 * 4; step++) {
      await Promise.all(replicas.map((c) => c.queue.enqueue('reminders.scan', {})));
      if (step % 4 === 0)
        await Promise.all(replicas.map((c) => c.queue.enqueue('expiry.process', {})));
      await drain();
      clock.t += DAY / 4;
    }
    const ids = smtp.received.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [email, n] of expected) {
      expect(smtp.received.filter((m) => JSON.stringify(m.to).includes(email)).length, email).toBe(
        n,
      );
    }
  }, 180_000);
});
