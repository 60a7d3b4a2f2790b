import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from '../../src/adapters/mail/smtp.js';
import { type DbHandle, createDb } from '../../src/db/client.js';
import { findOutboxEmail } from '../../src/db/repos/outbox.js';
import {
  MAX_EMAIL_ATTEMPTS,
  deliverEmail,
  queueEmail,
} from '../../src/domain/notifications/outbox.js';
import { composeEmail } from '../../src/domain/notifications/templates.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Mailer } from '../../src/ports/mailer.js';
import { DIALECTS, type TestDb, createTestDb, silentLogger } from '../support/db.js';
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

/**
 * Two deliverers race for the same outbox rows: each has its own database connection pool and its own
 * SMTP connection, and both are asked for every message at the same moment, bypassing the queue (whose
 * deduplication would otherwise collapse the second request before it reached the claim). The
 * conditional claim lets exactly one of them send; an unconditional one lets both.
 */
describe.each(DIALECTS)('two deliverers racing for the same messages on %s', (dialect) => {
  let db: TestDb;
  let second: DbHandle;
  let smtp: SmtpCapture;
  let mailers: Mailer[];
  beforeAll(async () => {
    db = await createTestDb(dialect);
    second = await createDb(db.config);
    smtp = await startSmtpCapture();
    mailers = [smtpFor(smtp.port), smtpFor(smtp.port)];
  });
  afterAll(async () => {
    for (const m of mailers) await m.close();
    await smtp.close();
    await second.close();
    await db.cleanup();
  });

  it('send each message exactly once, including messages retried after SMTP refusals', async () => {
    const deliverers = [db.db, second.db].map((handle, i) => ({
      db: handle,
      mailer: mailers[i]!,
      clock: systemClock,
      logger: silentLogger,
      from: 'noreply@example.edu',
    }));
    const ids: number[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(
        (await queueEmail(
          db.db,
          APP,
          { to: `u${i}@example.edu`, subject: `race-${dialect}-${i}`, text: 't', html: null },
          Date.now(),
        ))!,
      );
    smtp.failNext('refuse', 4);
    let pending = ids;
    for (let round = 1; pending.length > 0; round++) {
      expect(round, 'every message is sent within a few rounds').toBeLessThanOrEqual(5);
      // Both deliverers start on every message in the same turn of the event loop.
      const outcomes = await Promise.all(
        pending.map((id) =>
          Promise.all(deliverers.map((d) => deliverEmail(d, id).catch(() => 'refused'))),
        ),
      );
      // Of each pair exactly one claimed the message (and sent it, or was refused by the server).
      for (const pair of outcomes) expect(pair.filter((o) => o === 'skipped')).toHaveLength(1);
      const rows = await db.db
        .selectFrom('email_outbox')
        .select(['id', 'status'])
        .where('id', 'in', ids)
        .execute();
      pending = rows.filter((r) => r.status !== 'sent').map((r) => Number(r.id));
      // A refused message goes back to pending at once; the next round races for it again.
      await db.db
        .updateTable('email_outbox')
        .set({ next_attempt_at: 0 })
        .where('id', 'in', pending.length > 0 ? pending : [0])
        .execute();
    }
    const subjects = smtp.received
      .map((m) => m.subject ?? '')
      .filter((s) => s.startsWith(`race-${dialect}-`));
    expect(subjects.sort()).toEqual(ids.map((_, i) => `race-${dialect}-${i}`).sort());
    expect(smtp.attempts).toBe(ids.length + 4);
  });
});
