import { EmbeddedDnsProvider, EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from '../../src/adapters/mail/smtp.js';
import { BullmqQueue, deleteRedisKeys } from '../../src/adapters/queue/bullmq.js';
import { findOutboxEmail } from '../../src/db/repos/outbox.js';
import {
  MAX_EMAIL_ATTEMPTS,
  deliverEmail,
  queueEmail,
} from '../../src/domain/notifications/outbox.js';
import { composeEmail } from '../../src/domain/notifications/templates.js';
import { emailDeliverJob } from '../../src/jobs/email-deliver.job.js';
import type { JobDeps } from '../../src/jobs/deps.js';
import { buildRegistry } from '../../src/jobs/registry.js';
import { startJobs } from '../../src/jobs/worker.js';
import { loadConfig } from '../../src/config.js';
import { createCertificatePorts } from '../../src/container.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Mailer } from '../../src/ports/mailer.js';
import { DIALECTS, type TestDb, createTestDb, silentLogger } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp.js';
import { HOSTILE_EMAILS } from '../support/email-corpus.js';
import { insertUser } from '../support/factories.js';

const APP = 'http://mycustomdomain.test:8080';
const ctx = { productName: 'My.Custom.Domain', appUrl: APP };
const smtpFor = (port: number) =>
  createSmtpMailer({ host: '127.0.0.1', port, requireTls: false, user: null, password: null });

describe.each(DIALECTS)('outbox delivery over real SMTP on %s', (dialect) => {
  let db: TestDb;
  let smtp: SmtpCapture;
  let mailer: Mailer;
  beforeAll(async () => {
    db = await createTestDb(dialect);
    smtp = await startSmtpCapture();
    mailer = smtpFor(smtp.port);
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.close();
    await db.cleanup();
  });
  const deps = () => ({
    db: db.db,
    mailer,
    clock: systemClock,
    logger: silentLogger,
    from: 'noreply@example.edu',
  });

  it('delivers text + HTML with the stored Message-ID, sender and recipient, then marks it sent', async () => {
    const content = composeEmail(ctx, {
      subject: 'Certificate ready',
      greeting: 'Hi Ada',
      paragraphs: ['Your certificate is ready.'],
      action: { label: 'View it', path: '/certificate' },
    });
    const id = (await queueEmail(db.db, APP, { to: 'ada@example.edu', ...content }, Date.now()))!;
    const before = smtp.received.length;
    expect(await deliverEmail(deps(), id)).toBe('sent');
    const mail = smtp.received[before]!;
    const row = (await findOutboxEmail(db.db, id))!;
    expect(mail.messageId).toBe(row.message_id);
    expect(mail.from?.text).toBe('noreply@example.edu');
    expect(mail.subject).toBe('My.Custom.Domain: Certificate ready');
    expect(mail.text).toContain(`${APP}/certificate`);
    expect(mail.html).toContain('href="http://mycustomdomain.test:8080/certificate"');
    expect(row.status).toBe('sent');
    // Delivering again is a no-op: it is already sent.
    expect(await deliverEmail(deps(), id)).toBe('skipped');
    expect(smtp.received.length).toBe(before + 1);
  });

  it('keeps one email per dedupe key', async () => {
    const e = {
      to: 'b@example.edu',
      subject: 's',
      text: 't',
      html: null,
      dedupeKey: `k-${Math.random()}`,
    };
    expect(await queueEmail(db.db, APP, e, Date.now())).toBeTypeOf('number');
    expect(await queueEmail(db.db, APP, e, Date.now())).toBeNull();
  });

  it('a server that refuses leads to retries and finally a failed row, with nothing delivered', async () => {
    const id = (await queueEmail(
      db.db,
      APP,
      { to: 'c@example.edu', subject: 'x', text: 'y', html: null },
      Date.now(),
    ))!;
    smtp.failNext('refuse', 100);
    const before = smtp.received.length;
    let outcome: string | undefined;
    for (let i = 0; i < MAX_EMAIL_ATTEMPTS; i++)
      outcome = await deliverEmail(deps(), id).catch(() => 'retry');
    smtp.failNext('refuse', 0);
    expect(outcome).toBe('failed');
    const row = (await findOutboxEmail(db.db, id))!;
    expect(row.status).toBe('failed');
    expect(Number(row.attempts)).toBe(MAX_EMAIL_ATTEMPTS);
    expect(row.last_error).toMatch(/451|unavailable/i);
    expect(smtp.received.length).toBe(before);
  });

  it('never hands an invalid address to the mailer: the row fails at once with the reason', async () => {
    // Addresses already in the database (written before sign-in checked them, or by hand).
    const sent: string[] = [];
    const spy: Mailer = {
      send: async (m) => {
        sent.push(m.to);
        await mailer.send(m);
      },
      close: async () => {},
    };
    const before = { received: smtp.received.length, attempts: smtp.attempts };
    // (The users column holds 255 characters; longer values cannot be in the database.)
    for (const bad of HOSTILE_EMAILS.filter((v) => v.length <= 255)) {
      const user = await insertUser(db.db, { email: bad });
      const id = (await queueEmail(
        db.db,
        APP,
        { to: user.email, subject: 'Reminder', text: 'y', html: null },
        Date.now(),
      ))!;
      expect([JSON.stringify(bad), await deliverEmail({ ...deps(), mailer: spy }, id)]).toEqual([
        JSON.stringify(bad),
        'failed',
      ]);
      const row = (await findOutboxEmail(db.db, id))!;
      expect(row.status).toBe('failed');
      expect(row.last_error).toMatch(/^invalid recipient address: (it|the part) /);
      // Final: a later delivery attempt does not send it either.
      expect(await deliverEmail({ ...deps(), mailer: spy }, id)).toBe('skipped');
    }
    expect(sent).toEqual([]);
    expect(smtp.received.length).toBe(before.received);
    expect(smtp.attempts).toBe(before.attempts);
  });

  it('sends to the normalised form of a valid address', async () => {
    const id = (await queueEmail(
      db.db,
      APP,
      { to: '  Ada.Lovelace@Example.EDU ', subject: 'norm', text: 'y', html: null },
      Date.now(),
    ))!;
    expect(await deliverEmail(deps(), id)).toBe('sent');
    const row = (await findOutboxEmail(db.db, id))!;
    const mail = smtp.received.find((m) => m.messageId === row.message_id)!;
    expect(mail.to).toMatchObject({ text: 'Ada.Lovelace@example.edu' });
  });

  it('a dropped connection is retried with the same Message-ID and delivered exactly once', async () => {
    const id = (await queueEmail(
      db.db,
      APP,
      { to: 'd@example.edu', subject: 'drop', text: 'y', html: null },
      Date.now(),
    ))!;
    smtp.failNext('disconnect', 1);
    await expect(deliverEmail(deps(), id)).rejects.toThrow();
    expect((await findOutboxEmail(db.db, id))!.status).toBe('pending');
    expect(await deliverEmail(deps(), id)).toBe('sent');
    const row = (await findOutboxEmail(db.db, id))!;
    expect(smtp.received.filter((m) => m.messageId === row.message_id)).toHaveLength(1);
  });
});

describe('two workers sharing MariaDB and Redis', () => {
  let db: TestDb;
  let smtp: SmtpCapture;
  const prefix = `starchart-test-email-${process.pid}`;
  beforeAll(async () => {
    db = await createTestDb('mysql');
    smtp = await startSmtpCapture();
  });
  afterAll(async () => {
    await smtp.close();
    await db.cleanup();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
  });

  it('deliver each of 40 emails exactly once, including through SMTP failures', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: '/tmp/starchart-email-test',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
    });
    const registry = buildRegistry([
      { ...emailDeliverJob, options: { attempts: 5, backoffMs: 50 } },
    ]);
    const workers = [0, 1].map(() => {
      const queue = new BullmqQueue(registry, silentLogger, {
        url: TEST_REDIS_URL,
        prefix,
        removalAgeS: 60,
      });
      const mailer = smtpFor(smtp.port);
      const deps: JobDeps = {
        config,
        db: db.db,
        logger: silentLogger,
        clock: systemClock,
        queue,
        mailer,
        dns: new EmbeddedDnsProvider(
          new EmbeddedDnsServer({
            origin: 'starchart.test',
            nameservers: ['ns1.starchart.test'],
            host: '127.0.0.1',
            port: 0,
            logger: silentLogger,
            source: { serial: async () => 0, load: async () => ({ serial: 0, records: [] }) },
          }),
        ),
        ...createCertificatePorts(config, null),
      };
      return { queue, mailer, deps };
    });
    await Promise.all(
      workers.map((w) =>
        startJobs({ config, queue: w.queue, registry, deps: w.deps, logger: silentLogger }),
      ),
    );
    smtp.failNext('refuse', 5);
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = (await queueEmail(
        db.db,
        APP,
        { to: `u${i}@example.edu`, subject: `n${i}`, text: 't', html: null },
        Date.now(),
      ))!;
      ids.push(id);
      // Both replicas enqueue every message, as if both had seen it.
      await Promise.all(workers.map((w) => w.queue.enqueue('email.deliver', { id })));
    }
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const rows = await db.db
        .selectFrom('email_outbox')
        .select('status')
        .where('id', 'in', ids)
        .execute();
      if (rows.every((r) => r.status === 'sent')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const w of workers) {
      await w.queue.close(1000);
      await w.mailer.close();
    }
    const subjects = smtp.received.map((m) => m.subject).filter((s) => /^n\d+$/.test(s ?? ''));
    expect(subjects.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `n${i}`).sort());
  });
});
