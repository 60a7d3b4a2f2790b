import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossedThresholds, sendDueReminders } from '../../src/domain/lifecycle/reminders.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2027, 0, 1);

describe('crossedThresholds', () => {
  it('returns only thresholds crossed and not yet sent, and nothing once expired', () => {
    expect(crossedThresholds(T0 + 29 * DAY, T0, [30, 7, 1], [])).toEqual([30]);
    expect(crossedThresholds(T0 + 6 * DAY, T0, [30, 7, 1], [30])).toEqual([7]);
    expect(crossedThresholds(T0 + 12 * 3_600_000, T0, [30, 7, 1], [])).toEqual([30, 7, 1]);
    expect(crossedThresholds(T0 - 1, T0, [30, 7, 1], [])).toEqual([]);
    expect(crossedThresholds(T0 + 40 * DAY, T0, [30, 7, 1], [])).toEqual([]);
  });
});

describe.each(DIALECTS)('reminders on %s', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect);
  });
  afterAll(async () => db.cleanup());

  const deps = (now: number) => ({
    db: db.db,
    now,
    thresholdsDays: [30, 7, 1],
    email: { productName: 'My.Custom.Domain', appUrl: 'http://localhost:8080' },
    rootDomain: 'starchart.test',
  });
  const addRecord = async (userId: number, subdomain: string, expiresAt: number) =>
    Number(
      (
        await db.db
          .insertInto('dns_records')
          .values({
            user_id: userId,
            subdomain,
            type: 'A',
            value: '192.0.2.1',
            priority: null,
            ports: null,
            course: null,
            description: null,
            expires_at: expiresAt,
            status_message: null,
            created_at: T0,
            updated_at: T0,
          })
          .executeTakeFirstOrThrow()
      ).insertId,
    );
  const emailsTo = async (email: string) =>
    db.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('to_address', '=', email)
      .orderBy('id')
      .execute();

  it('a record 29 days from expiry gets one reminder; at 6 days one more; renewing re-arms', async () => {
    const user = await insertUser(db.db);
    const id = await addRecord(user.id, 'www', T0 + 29 * DAY);
    await sendDueReminders(deps(T0));
    await sendDueReminders(deps(T0 + 3_600_000)); // next hourly scan: nothing new
    expect(await emailsTo(user.email)).toHaveLength(1);
    await sendDueReminders(deps(T0 + 23 * DAY)); // 6 days left
    await sendDueReminders(deps(T0 + 23 * DAY + 3_600_000));
    const mails = await emailsTo(user.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.text_body).toContain(`www.${user.dns_label}.starchart.test`);
    // Renew: expiry moves out and reminders are re-armed.
    await db.db
      .updateTable('dns_records')
      .set({ expires_at: T0 + 23 * DAY + 25 * DAY, reminders_sent: '[]' })
      .where('id', '=', id)
      .execute();
    await sendDueReminders(deps(T0 + 23 * DAY + 7_200_000));
    expect(await emailsTo(user.email)).toHaveLength(3);
  });

  it('groups several due items of one user into one email, mentioning automatic certificate renewal', async () => {
    const user = await insertUser(db.db);
    await addRecord(user.id, 'alpha', T0 + 5 * DAY);
    await addRecord(user.id, 'beta', T0 + 20 * DAY);
    await db.db
      .insertInto('certificates')
      .values({
        user_id: user.id,
        domain: `${user.dns_label}.starchart.test`,
        status: 'issued',
        order_url: null,
        private_key_enc: null,
        certificate: null,
        chain: null,
        valid_from: T0 - 60 * DAY,
        valid_to: T0 + 10 * DAY,
        error: null,
        next_attempt_at: null,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    const ids = await sendDueReminders(deps(T0));
    const mails = await emailsTo(user.email);
    expect(mails).toHaveLength(1);
    expect(ids).toContain(Number(mails[0]!.id));
    expect(mails[0]!.subject).toBe('My.Custom.Domain: 3 items expiring soon');
    expect(mails[0]!.text_body).toContain('alpha.');
    expect(mails[0]!.text_body).toContain('beta.');
    expect(mails[0]!.text_body).toContain('renewed automatically');
  });

  it('two scans at the same moment remind each item once', async () => {
    const user = await insertUser(db.db);
    await addRecord(user.id, 'gamma', T0 + 2 * DAY);
    await Promise.all([sendDueReminders(deps(T0)), sendDueReminders(deps(T0))]);
    expect(await emailsTo(user.email)).toHaveLength(1);
  });

  it('never reminds suspended users or expired items', async () => {
    const suspended = await insertUser(db.db, { suspended_at: T0 });
    await addRecord(suspended.id, 'delta', T0 + 2 * DAY);
    const other = await insertUser(db.db);
    await addRecord(other.id, 'gone', T0 - DAY);
    await sendDueReminders(deps(T0));
    expect(await emailsTo(suspended.email)).toHaveLength(0);
    expect(await emailsTo(other.email)).toHaveLength(0);
  });
});
